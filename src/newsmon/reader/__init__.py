"""Everything about reading a source (a feed, a sitemap, a listing page): polling, formats,
schedule and state, OPML, discovery.

Pure (records and text in, records and text out; no I/O beyond log lines):
- `formats`: any feed document (RSS, RDF, Atom, JSON Feed) into one shape, or a reason it is none;
- `xmlguard`: the DOCTYPE guard every XML document passes first;
- `aggregators`: aggregator redirect links unwrapped to the publisher's link;
- `hints`: publisher hints (ttl, sy:updatePeriod, Cache-Control, Expires, Retry-After);
- `entries`: a parsed feed into FeedEntry records (entry cap, language hints);
- `schedule`: the adaptive poll interval and feed health;
- `state`: the per-feed state records (FeedState, Poll, apply_poll); newsmon.storage.feed_states
  stores them;
- `discover`: feed links an HTML page declares and the usual feed paths of a site;
- `sitemaps`: sitemap documents (news, plain, index, gzip'd) into entries, robots.txt `Sitemap:`
  lines;
- `pages`: the links of a listing page that match a source's pattern, and a page source's seen set;
- `planning`: the poll floor, the feeds that are due, their batches, the polls' outcomes counted
  into the run summary, the states after a batch's polls.

With I/O:
- `request`: the conditional GET every source type's poll starts with, through newsmon.fetching;
- `poll`: one poll of a feed, and the polls of a batch side by side (any source type);
- `sources`: one poll of a sitemap source (children of an index too) or a page source;
- `opml`: OPML import and export; reads an OPML file, writes a feeds YAML file;
- `operations`: what `newsmon feeds status/check/import/export/discover` do, returning data:
  feed states read through newsmon.storage, feeds fetched through newsmon.fetching, the feeds
  configuration and OPML/YAML files read and written.
"""
