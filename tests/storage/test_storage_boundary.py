"""newsmon.storage is the only code that talks to Elasticsearch: no other module of the package
imports the client, builds one (newsmon.storage.client), touches a client (`.es`, client API
methods) or spells an index name. Nor does the code beside the package: the benchmarks, the
evaluations, the scripts (their Python files and the Python heredocs of their shell scripts), the
development site, the DAGs and the Airflow plugins.

Read from the source (AST), no Elasticsearch needed. The checker is tried on offending snippets
too, so that a check that silently stopped seeing anything would fail here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from newsmon.storage.names import SUFFIXES, IndexNames

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "newsmon"
STORAGE = PACKAGE / "storage"
# The code beside the package, whose Python files are held to the same rule.
BESIDE = ("bench", "eval", "scripts", "devsite", "dags", "plugins", "soak")
SCRIPTS = ROOT / "scripts"

CLIENT_PACKAGES = ("elasticsearch", "elastic_transport")
# Where the client is made: only storage builds one (Storage.from_settings, open_storage).
CLIENT_MODULE = "newsmon.storage.client"
# Methods and namespaces of the Elasticsearch client that nothing else in the package is called.
CLIENT_API = {
    "indices", "cluster", "nodes", "cat", "ingest", "snapshot", "msearch", "mget", "mtermvectors",
    "termvectors", "open_point_in_time", "close_point_in_time", "delete_by_query", "update_by_query",
    "bulk", "scroll", "clear_scroll", "field_caps", "get_source", "exists_source", "put_mapping",
    "put_index_template", "validate_query",
}  # fmt: skip
# Of those, the namespaces (`client.indices.create(...)`): objects, never called themselves, so a
# call such as `run.cluster(settings, batches)` (a DAG task function) is not the client's.
CLIENT_NAMESPACES = {"indices", "cluster", "nodes", "cat", "ingest", "snapshot"}
# Keyword arguments that only the client's request methods take.
CLIENT_KEYWORDS = {"index", "operations", "searches", "pit", "search_after", "doc_as_upsert"}
# How a prefix is written before an index suffix in a plain string: a template placeholder, a
# shell-style or format-style variable, or the default prefix.
PREFIX_SPELLINGS = ("{{PREFIX}}", "{{INDEX_PREFIX}}", "${prefix}", "{prefix}", "newsmon-")


@dataclass(frozen=True)
class Source:
    """What the checks need to know of the whole file besides the node they look at."""

    docstrings: set[int]  # ids of the string constants that are docstrings
    called: set[int]  # ids of the expressions that are called (`f` in `f(...)`)


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
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    context = Source(_docstrings(tree), called)
    out: list[str] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        for check in CHECKS:
            out += [f"{line}: {what}" for what in check(node, context)]
    return out


def _imports(node: ast.AST, context: Source) -> list[str]:
    if isinstance(node, ast.Import):
        return [
            f"imports {a.name}"
            for a in node.names
            if a.name.split(".")[0] in CLIENT_PACKAGES or a.name == CLIENT_MODULE
        ]
    if not isinstance(node, ast.ImportFrom) or node.level:
        return []
    module = node.module or ""
    if module.split(".")[0] in CLIENT_PACKAGES or module == CLIENT_MODULE:
        return [f"imports from {module}"]
    if f"{module}.client" == CLIENT_MODULE and any(a.name == "client" for a in node.names):
        return [f"imports {CLIENT_MODULE}"]
    return []


def _client_use(node: ast.AST, context: Source) -> list[str]:
    if not isinstance(node, ast.Attribute):
        return []
    if node.attr == "es":
        return ["uses a client (.es)"]
    if node.attr in CLIENT_NAMESPACES and id(node) in context.called:
        return []
    return [f"calls the client API (.{node.attr})"] if node.attr in CLIENT_API else []


def _client_request(node: ast.AST, context: Source) -> list[str]:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return []
    keywords = {k.arg for k in node.keywords} & CLIENT_KEYWORDS
    return [f"a client request (.{node.func.attr}({', '.join(sorted(keywords))}=...))"] if keywords else []


def _built_name(node: ast.AST, context: Source) -> list[str]:
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


STORAGE_NAMES = {n for n in dir(IndexNames) if not n.startswith("_")} - {"prefix"}


def _derived_name(node: ast.AST, context: Source) -> list[str]:
    """A new index name made from one of storage's: f"{storage.names.feeds}-{n}"."""
    if isinstance(node, ast.JoinedStr) and len(node.values) > 1:
        parts = [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = [node.left, node.right]
    else:
        return []
    return [
        f"makes an index name from storage's (...names.{part.attr})"
        for part in parts
        if isinstance(part, ast.Attribute)
        and part.attr in STORAGE_NAMES
        and isinstance(part.value, ast.Attribute)
        and part.value.attr == "names"
    ]


def _is_index_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and _names_index(node.value)


def _literal_name(node: ast.AST, context: Source) -> list[str]:
    """A literal that spells a prefix and an index suffix ("newsmon-articles", "${prefix}runs")."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)) or id(node) in context.docstrings:
        return []
    text = node.value
    for spelling in PREFIX_SPELLINGS:
        at = text.find(spelling)
        while at >= 0:
            if _names_index(text[at + len(spelling) :]):
                return [f"names an index ({text!r})"]
            at = text.find(spelling, at + 1)
    return []


CHECKS = (_imports, _client_use, _client_request, _built_name, _derived_name, _literal_name)


def product_modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if STORAGE not in p.parents]


def beside_modules() -> list[Path]:
    """The Python files of the code beside the package."""
    return [p for folder in BESIDE for p in sorted((ROOT / folder).rglob("*.py"))]


# A heredoc fed to Python: `python - args <<'PY'` (any python, the delimiter quoted or not), up to
# the line that is the delimiter alone.
HEREDOC = re.compile(r"""python[\w.]*"?\s.*<<-?\s*(['"]?)(\w+)\1""")


def python_heredocs(text: str) -> list[tuple[int, str]]:
    """(number of its first line, Python source) of every Python heredoc of a shell script."""
    lines = text.splitlines()
    found: list[tuple[int, str]] = []
    at = 0
    while at < len(lines):
        start = HEREDOC.search(lines[at])
        at += 1
        if not start:
            continue
        first, delimiter = at, start.group(2)
        while at < len(lines) and lines[at].strip() != delimiter:
            at += 1
        found.append((first + 1, "".join(line + "\n" for line in lines[first:at])))
        at += 1
    return found


def script_heredocs() -> dict[str, str]:
    """The Python of each heredoc of the shell scripts in scripts/, keyed "scripts/NAME:LINE"."""
    return {
        f"{path.relative_to(ROOT).as_posix()}:{line}": source
        for path in sorted(SCRIPTS.iterdir())
        if path.is_file() and path.suffix != ".py"
        for line, source in python_heredocs(path.read_text(encoding="utf-8"))
    }


def test_only_storage_talks_to_elasticsearch():
    found = {
        str(p.relative_to(ROOT)): problems
        for p in product_modules()
        if (problems := offences(p.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_nor_does_the_code_beside_the_package():
    found = {
        str(p.relative_to(ROOT)): problems
        for p in beside_modules()
        if (problems := offences(p.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_nor_do_the_python_heredocs_of_the_scripts():
    found = {where: problems for where, source in script_heredocs().items() if (problems := offences(source))}
    assert found == {}


def test_the_modules_checked_include_the_ones_that_used_to_talk_to_it():
    names = {p.relative_to(PACKAGE).as_posix() for p in product_modules()}
    assert {"run.py", "search.py", "stories/stored.py", "web/page.py", "alerts/percolate.py"} <= names
    assert not any(n.startswith("storage/") for n in names)
    assert (STORAGE / "__init__.py").is_file()


def test_the_files_beside_checked_include_the_ones_that_used_to_talk_to_it():
    names = {p.relative_to(ROOT).as_posix() for p in beside_modules()}
    assert {
        "bench/real_pages.py", "bench/dedupe.py", "bench/feeds.py", "bench/alerts.py", "bench/loopback.py",
        "eval/dedupe.py", "scripts/bench.py", "devsite/server.py", "dags/news_monitor.py",
        "plugins/newsmon_search.py", "soak/run.py",
    } <= names  # fmt: skip
    assert not any(n.startswith(("src/", "tests/")) for n in names)


def test_the_heredocs_checked_include_the_distributed_demos_count_of_what_was_stored():
    heredocs = script_heredocs()
    demo = [
        source
        for where, source in heredocs.items()
        if where.startswith(("scripts/demo-distributed:", "scripts/distributed-stack.sh:"))
    ]
    # finding the Redis server (distributed-stack.sh), who ran each batch, what was stored
    assert len(demo) >= 3
    assert any("urls_stored_twice" in source for source in demo)
    assert any(where.startswith("scripts/demo:") for where in heredocs)
    for where, source in heredocs.items():
        compile(source, where, "exec")  # each is a whole Python program, nothing more


def test_heredocs_are_read_up_to_their_delimiter():
    script = "\n".join(
        [
            "#!/bin/bash",
            "cat <<EOF",
            'es.search(index="x")',
            "EOF",
            "KILLED=1 python - \"$a\" <<'PY'",
            "import sys",
            "print(sys.argv)",
            "PY",
            '"$ROOT/.venv/bin/python" - 2>/dev/null <<"END" && return 0',
            "x = 1",
            "END",
            "echo PY",
        ]
    )
    assert python_heredocs(script) == [(6, "import sys\nprint(sys.argv)\n"), (10, "x = 1\n")]


def test_the_checker_catches_imports_of_the_client():
    assert offences("import elasticsearch\n")
    assert offences("from elasticsearch import NotFoundError\n")
    assert offences("from elasticsearch.helpers import bulk\n")
    assert offences("import elasticsearch.helpers as h\n")
    assert offences("def f():\n    from elastic_transport import TransportError\n")


def test_the_checker_catches_building_a_client():
    assert offences("from newsmon.storage.client import make_client\n")
    assert offences("import newsmon.storage.client\n")
    assert offences("from newsmon.storage import client\n")
    assert offences("from newsmon.storage import Storage\n") == []


def test_the_checker_catches_client_use():
    assert offences("store.es.search(index=name, query={})\n")
    assert offences("x = storage.es\n")
    assert offences("client.indices.refresh()\n")
    assert offences("resp = client.msearch(body)\n")
    assert offences("resp = something.search(index=alias, size=1)\n")
    assert offences("something.update(index='x', id='1', doc={})\n")


def test_the_checker_tells_a_task_function_from_a_client_namespace():
    assert offences("merged = run.cluster(settings, [batch])\n") == []
    assert offences("health = client.cluster.health()\n")
    assert offences("stats = client.nodes.stats(metric='process')\n")
    assert offences("ix = client.indices\n")


def test_the_checker_catches_index_names():
    assert offences('name = f"{store.prefix}feeds"\n')
    assert offences('name = f"{prefix}alert-events"\n')
    assert offences("name = settings.index_prefix + 'failed-pages'\n")
    assert offences('name = "newsmon-articles"\n')
    assert offences('pattern = "${prefix}runs"\n')
    assert offences('index = "{{PREFIX}}pending"\n')
    assert offences('index = f"{storage.names.feeds}-{n}"\n')
    assert offences("index = storage.names.articles + '-copy'\n")
    assert offences("alias = storage.names.articles\n") == []


def test_the_checker_catches_a_benchmark_that_goes_around_storage():
    bench = '''
"""Warms the node up with copies of the articles, then measures the state of many feeds."""
from elasticsearch.helpers import bulk

from newsmon.storage import Storage
from newsmon.storage.client import make_client


def warm(settings, docs):
    with Storage(make_client(settings), settings.index_prefix) as storage:
        copy = f"{settings.index_prefix}articles-copy"
        bulk(storage.es, ({"_index": copy, "_id": i, "_source": d} for i, d in docs), refresh=True)
        storage.es.indices.delete(index=copy)
        nodes = storage.es.nodes.stats(metric="process")["nodes"]
        states = FeedStates(storage, f"{storage.names.feeds}-{len(docs)}")
        return nodes, states
'''
    found = "\n".join(offences(bench))
    for what in (
        "imports from elasticsearch.helpers",
        "imports from newsmon.storage.client",
        "builds an index name (f-string ...'articles-copy')",
        "uses a client (.es)",
        "calls the client API (.indices)",
        "calls the client API (.nodes)",
        "a client request (.delete(index=...))",
        "makes an index name from storage's (...names.feeds)",
    ):
        assert what in found, what


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
