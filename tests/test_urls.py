from newsmon.urls import canonicalize, doc_id, domain, same_site


def test_tracking_parameters_are_dropped_and_query_sorted():
    assert canonicalize("https://Example.com/a/b.html?utm_source=rss&utm_medium=feed&id=3#frag") == (
        "https://example.com/a/b.html?id=3"
    )
    assert canonicalize("http://x.org/p?fbclid=IwAR0abc") == "http://x.org/p"
    assert canonicalize("http://x.org/p?gclid=123&utm_medium=y") == "http://x.org/p"
    assert canonicalize("https://ex.com/a?b=2&a=1") == "https://ex.com/a?a=1&b=2"


def test_meaningful_parameters_survive():
    # Media Cloud once lost two parameters to a missing comma: check that ids and pages stay.
    assert (
        canonicalize("https://news.example/story?id=42&page=2") == "https://news.example/story?id=42&page=2"
    )


def test_same_article_under_tracking_variants_has_one_id():
    a = doc_id(canonicalize("https://ex.com/x.html?utm_source=a&utm_campaign=x"))
    b = doc_id(canonicalize("https://ex.com/x.html?gclid=123&utm_medium=y"))
    c = doc_id(canonicalize("https://ex.com/y.html"))
    assert a == b != c
    assert len(a) == 32


def test_domain_and_same_site():
    assert domain("https://www.example.com/x") == "example.com"
    assert same_site("https://example.com/a", "https://news.example.com/b")
    assert not same_site("https://example.com/a", "https://example.org/a")


def test_outlet_is_the_registered_domain():
    assert domain("https://edition.cnn.com/2026/x") == domain("https://us.cnn.com/y") == "cnn.com"
    assert domain("https://www.bbc.co.uk/news/1") == "bbc.co.uk"
    assert domain("https://news.bbc.co.uk/2") == "bbc.co.uk"
    assert domain("https://someone.blogspot.com/p") == "someone.blogspot.com"  # a private suffix
    # Hosts without a public suffix stay themselves.
    assert domain("http://127.0.0.1:8080/a") == "127.0.0.1"
    assert domain("http://www.site.example/a") == "site.example"


def test_same_site_by_registered_domain():
    assert same_site("https://edition.cnn.com/a", "https://us.cnn.com/b")
    assert not same_site("https://www.bbc.co.uk/a", "https://co.uk/b")
    assert not same_site("https://bbc.co.uk/a", "https://itv.co.uk/b")
    assert not same_site("https://a.blogspot.com/x", "https://b.blogspot.com/y")
    assert same_site("http://news.site.example/a", "http://site.example/b")
