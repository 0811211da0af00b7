"""Article text and metadata from an HTML page, plus language and content hash.

`extract_page` (in `page`) is the entry point. Its parts, one job a module: `page_facts` (what the
page declares: JSON-LD, publication time, canonical link, authors, metadata), `body` (which text is
the story), `cleanup` (the engine that applies line rules) with `cleanup_rules` (the rules
themselves, as data), and `language` (language detection and the content hash).
"""

from newsmon.extraction.body import MIN_ARTICLE_CHARS
from newsmon.extraction.cleanup import clean_text, line_key, link_keys, strip_markers
from newsmon.extraction.language import LANGUAGE_SURE, content_hash
from newsmon.extraction.page import Extraction, extract_page, warm_up
from newsmon.extraction.page_facts import read_page

__all__ = [
    "LANGUAGE_SURE",
    "MIN_ARTICLE_CHARS",
    "Extraction",
    "clean_text",
    "content_hash",
    "extract_page",
    "line_key",
    "link_keys",
    "read_page",
    "strip_markers",
    "warm_up",
]
