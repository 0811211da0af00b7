"""newsmon.storage is the only code that talks to Elasticsearch: no other module of the package
imports the client, touches a client (`.es`, client API methods) or spells an index name.

Read from the source (AST), no Elasticsearch needed. The checker is tried on offending snippets
too, so that a check that silently stopped seeing anything would fail here.
"""

from __future__ import annotations

import ast
from pathlib import Path

from newsmon.storage.names import SUFFIXES

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "newsmon"
STORAGE = PACKAGE / "storage"

CLIENT_PACKAGES = ("elasticsearch", "elastic_transport")
# Methods and namespaces of the Elasticsearch client that nothing else in the package is called.
CLIENT_API = {
    "indices", "cluster", "nodes", "cat", "ingest", "snapshot", "msearch", "mget", "mtermvectors",
    "termvectors", "open_point_in_time", "close_point_in_time", "delete_by_query", "update_by_query",
    "bulk", "scroll", "clear_scroll", "field_caps", "get_source", "exists_source", "put_mapping",
    "put_index_template", "validate_query",
}  # fmt: skip
# Keyword arguments that only the client's request methods take.
CLIENT_KEYWORDS = {"index", "operations", "searches", "pit", "search_after", "doc_as_upsert"}
# How a prefix is written before an index suffix in a plain string: a template placeholder, a
# shell-style or format-style variable, or the default prefix.
PREFIX_SPELLINGS = ("{{PREFIX}}", "{{INDEX_PREFIX}}", "${prefix}", "{prefix}", "newsmon-")


def _names_index(text: str) -> bool:
    return any(text.startswith(suffix) for suffix in SUFFIXES)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (prose may say `${prefix}runs`)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def offences(source: str) -> list[str]:
    """What in `source` talks to Elasticsearch around newsmon.storage, one line each."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    out: list[str] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        for check in CHECKS:
            out += [f"{line}: {what}" for what in check(node, docstrings)]
    return out


def _imports(node: ast.AST, docstrings: set[int]) -> list[str]:
    if isinstance(node, ast.Import):
        return [f"imports {a.name}" for a in node.names if a.name.split(".")[0] in CLIENT_PACKAGES]
    if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in CLIENT_PACKAGES:
        return [] if node.level else [f"imports from {node.module}"]
    return []


def _client_use(node: ast.AST, docstrings: set[int]) -> list[str]:
    if not isinstance(node, ast.Attribute):
        return []
    if node.attr == "es":
        return ["uses a client (.es)"]
    return [f"calls the client API (.{node.attr})"] if node.attr in CLIENT_API else []


def _client_request(node: ast.AST, docstrings: set[int]) -> list[str]:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return []
    keywords = {k.arg for k in node.keywords} & CLIENT_KEYWORDS
    return [f"a client request (.{node.func.attr}({', '.join(sorted(keywords))}=...))"] if keywords else []


def _built_name(node: ast.AST, docstrings: set[int]) -> list[str]:
    """An index name made of a variable prefix and a known suffix: f"{p}articles", p + "articles"."""
    if isinstance(node, ast.JoinedStr):
        pairs = zip(node.values, node.values[1:], strict=False)
        return [
            f"builds an index name (f-string ...{after.value!r})"
            for before, after in pairs
            if isinstance(before, ast.FormattedValue) and _is_index_text(after)
        ]
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Add)
        and not isinstance(node.left, ast.Constant)
    ):
        if _is_index_text(node.right):
            assert isinstance(node.right, ast.Constant)
            return [f"builds an index name (... + {node.right.value!r})"]
    return []


def _is_index_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and _names_index(node.value)


def _literal_name(node: ast.AST, docstrings: set[int]) -> list[str]:
    """A literal that spells a prefix and an index suffix ("newsmon-articles", "${prefix}runs")."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in docstrings:
        return []
    text = node.value
    for spelling in PREFIX_SPELLINGS:
        at = text.find(spelling)
        while at >= 0:
            if _names_index(text[at + len(spelling) :]):
                return [f"names an index ({text!r})"]
            at = text.find(spelling, at + 1)
    return []


CHECKS = (_imports, _client_use, _client_request, _built_name, _literal_name)


def product_modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if STORAGE not in p.parents]


def test_only_storage_talks_to_elasticsearch():
    found = {
        str(p.relative_to(ROOT)): problems
        for p in product_modules()
        if (problems := offences(p.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_the_modules_checked_include_the_ones_that_used_to_talk_to_it():
    names = {p.relative_to(PACKAGE).as_posix() for p in product_modules()}
    assert {"run.py", "search.py", "stories/stored.py", "web/page.py", "alerts/percolate.py"} <= names
    assert not any(n.startswith("storage/") for n in names)
    assert (STORAGE / "__init__.py").is_file()


def test_the_checker_catches_imports_of_the_client():
    assert offences("import elasticsearch\n")
    assert offences("from elasticsearch import NotFoundError\n")
    assert offences("from elasticsearch.helpers import bulk\n")
    assert offences("import elasticsearch.helpers as h\n")
    assert offences("def f():\n    from elastic_transport import TransportError\n")


def test_the_checker_catches_client_use():
    assert offences("store.es.search(index=name, query={})\n")
    assert offences("x = storage.es\n")
    assert offences("client.indices.refresh()\n")
    assert offences("resp = client.msearch(body)\n")
    assert offences("resp = something.search(index=alias, size=1)\n")
    assert offences("something.update(index='x', id='1', doc={})\n")


def test_the_checker_catches_index_names():
    assert offences('name = f"{store.prefix}feeds"\n')
    assert offences('name = f"{prefix}alert-events"\n')
    assert offences("name = settings.index_prefix + 'failed-pages'\n")
    assert offences('name = "newsmon-articles"\n')
    assert offences('pattern = "${prefix}runs"\n')
    assert offences('index = "{{PREFIX}}pending"\n')


def test_the_checker_leaves_ordinary_code_alone():
    ok = '''
"""Stored in ${prefix}runs: a docstring may say so."""
import re

def f(storage, text, items):
    """Reads ${prefix}feeds."""
    if re.search("x", text) and items.index(3):
        return storage.articles.search(query={"match_all": {}}, size=1)
    return f"{len(items)} feeds, {text} runs", "feeds", "alert-rules"
'''
    assert offences(ok) == []
