"""PDF documents read by newsmon.extraction.pdf: PDFs written here (reportlab, pypdf's encryption)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devsite.pdfs import encrypted, image_only_pdf, sample_document, text_pdf
from newsmon.extraction.pdf import PdfRefused, extract_pdf, is_pdf, paragraphs, strip_furniture

NOW = datetime(2026, 3, 1, tzinfo=UTC)
SUBJECTS = ["a fissile material cut-off treaty", "the entry into force of the test-ban treaty",
            "negative security assurances", "a zone free of weapons of mass destruction"]  # fmt: skip
TALKS = [
    f"Paragraph {n}. Delegations to the conference on disarmament discussed {SUBJECTS[n % 4]} in the "
    f"{['morning', 'afternoon', 'evening'][n % 3]} session, and the verification measures it would "
    "need, before the chair closed the meeting and read out the list of speakers for the next one."
    for n in range(1, 13)
]


def read(data: bytes, max_pages: int = 50):
    return extract_pdf(data, now=NOW, max_pages=max_pages)


def test_a_text_pdf_gives_its_metadata_title_and_date_language_and_text():
    ext = read(sample_document())
    assert ext.content_type == "pdf" and ext.page_count == 2 and ext.is_article and ext.method == "pypdf"
    assert ext.title == "GOV/2021/41: Verification and monitoring under the Northvale safeguards agreement"
    assert ext.published_at == "2021-09-24T09:30:00Z" and "pdf date: metadata" in ext.notes
    assert ext.language == "en"
    assert "stockpile of enriched uranium has grown to 2,441 kilograms." in ext.body
    # Each numbered paragraph is one paragraph, whatever the line breaks of the page.
    paras = ext.body.split("\n\n")
    assert sum(p.startswith(("1. ", "2. ", "3. ", "4. ", "5. ", "6. ", "7. ")) for p in paras) == 7


def test_running_headers_and_page_numbers_are_removed_from_a_multi_page_pdf():
    header = "CD/2284 - Conference on Disarmament - Final report of the session"
    data = text_pdf("Report of the Conference", TALKS, header=header, page_break_every=3)
    ext = read(data)
    assert ext.page_count == 4
    assert header not in ext.body and "Page 2" not in ext.body and "Page 4" not in ext.body
    assert any(n.startswith("pdf: ") and "header/footer line(s) removed" in n for n in ext.notes)
    assert all(f"Paragraph {n}." in ext.body for n in range(1, 13))
    # No metadata title: the first substantial line of the first page.
    assert ext.title == "Report of the Conference" and "pdf title: first line" in ext.notes


def test_pages_past_the_limit_are_not_read_and_the_limit_is_noted():
    data = text_pdf("Report of the Conference", TALKS, page_break_every=3)
    ext = read(data, max_pages=2)
    assert ext.page_count == 4  # the document's, not the pages read
    assert "Paragraph 6." in ext.body and "Paragraph 7." not in ext.body
    assert "pdf: read 2 of 4 pages (NEWSMON_PDF_MAX_PAGES)" in ext.notes


def test_a_date_on_the_first_page_when_the_metadata_has_none():
    data = text_pdf("Statement by the Group of Friends", TALKS[:3], dated="Geneva, 3 March 2024")
    ext = read(data)
    assert ext.published_at == "2024-03-03T00:00:00Z" and "pdf date: first page" in ext.notes
    future = text_pdf("Statement by the Group of Friends", TALKS[:3], created="20990101000000")
    assert read(future).published_at is None  # a metadata date in the future is no publication date


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (encrypted(sample_document()), "encrypted PDF"),
        (sample_document()[:1800], "broken PDF: "),
        (b"%PDF-1.7\nnot a PDF at all", "broken PDF: "),
        (image_only_pdf(), "no text in PDF: scanned pages?"),
    ],
    ids=["encrypted", "truncated", "garbage", "scanned"],
)
def test_an_unreadable_pdf_is_refused_with_its_reason(data, reason):
    with pytest.raises(PdfRefused) as refused:
        read(data)
    assert refused.value.reason.startswith(reason)


def test_a_pdf_encrypted_with_an_empty_password_is_read():
    # AES: permissions-only encryption, as on many official documents (needs pypdf[crypto]).
    ext = read(encrypted(sample_document(), user_password=""))
    assert ext.is_article and "2,441 kilograms" in ext.body


def test_little_text_is_not_an_article_as_for_a_page():
    ext = read(text_pdf("A short note", ["Nothing more to say here."]))
    assert not ext.is_article and any("not an article" in n for n in ext.notes)


def test_a_pdf_is_known_by_its_type_or_by_its_signature_under_a_generic_type():
    assert is_pdf("application/pdf", b"")
    assert is_pdf("application/octet-stream", b"%PDF-1.7 ...") and is_pdf("", b"\n%PDF-1.4")
    assert not is_pdf("application/octet-stream", b"PK\x03\x04") and not is_pdf("text/html", b"%PDF-")


def test_hyphenated_words_are_joined_and_lines_make_paragraphs():
    lines = [
        "The agency verified the inven-",
        "tory of declared material at the plant and found it",
        "consistent with the declarations.",
        "",
        "The Board will consider the report.",
        "• a list item",
        "• another one",
    ]
    assert paragraphs(lines) == [
        "The agency verified the inventory of declared material at the plant and found it consistent with "
        "the declarations.",
        "The Board will consider the report.",
        "• a list item",
        "• another one",
    ]
    # A hyphen before a capital or a number is kept: a compound, not a broken word.
    assert paragraphs(["the Non-", "Proliferation Treaty and more words here."]) == [
        "the Non- Proliferation Treaty and more words here."
    ]


def test_furniture_repeated_on_most_pages_is_removed_but_not_body_lines():
    def page(n: int) -> list[str]:
        body = [f"Line {i} of page {n}, which says something of its own." for i in range(1, 4)]  # > 6 words
        return ["UNITED NATIONS A/79/123", *body, "The Board took note of the report.", *body, f"{n}/3"]

    kept, removed = strip_furniture([page(1), page(2), page(3)])
    assert removed == 6  # the header and the page number of each page
    assert kept[1][0] == "Line 1 of page 2, which says something of its own."
    assert all("The Board took note of the report." in lines for lines in kept)  # repeated, not at an edge
