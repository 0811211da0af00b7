"""The shape of the package: what a newcomer can rely on when reading it.

Only product code in src/newsmon, modules of a readable size, imports that never go in a circle
(imports inside functions included), every NEWSMON_* variable read in the settings module, and
each DAG task backed by a package function of the same name.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "newsmon"
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported_modules(path: Path) -> set[str]:
    """newsmon modules `path` imports anywhere in its body, functions included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from newsmon.x import y`: y may be a module of its own.
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found |= {n for n in names if n in MODULES and n != this}
    return found


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {name: n for name, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_only_product_code_in_the_package():
    # The sample site and the evaluation harness live beside the package (devsite/, eval/).
    names = set(MODULES)
    assert not {n for n in names if "devsite" in n or "evaluation" in n}
    assert (ROOT / "devsite" / "server.py").is_file() and (ROOT / "eval" / "extraction.py").is_file()


def cycles_of(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of a graph (node -> the nodes it imports), each as a path back to its start."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_imports_form_no_cycle():
    cycles = cycles_of({name: imported_modules(path) for name, path in MODULES.items()})
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def package_of(module: str) -> str:
    """The part of newsmon a module belongs to: its sub-package (newsmon.reader.poll -> reader) or,
    for a top-level module, the module itself (newsmon.run -> run)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_packages_depend_one_way():
    # Finer than the module check: storage may not import from the reader while the reader
    # imports storage, even when no single module closes the circle.
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        graph.setdefault(package_of(name), set()).update(
            package_of(m) for m in imported_modules(path) if package_of(m) != package_of(name)
        )
    cycles = cycles_of(graph)
    assert cycles == [], "package cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_finds_a_cycle():
    assert cycles_of({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles_of({"a": {"b"}, "b": set()}) == []


def test_the_cycle_check_sees_imports_inside_functions(tmp_path):
    # The check above is only worth something if a lazy import counts: run it on a known edge.
    assert "newsmon.alerts.service" in imported_modules(MODULES["newsmon.run"])  # imported in prepare()
    assert "newsmon.tagging.matching" in imported_modules(MODULES["newsmon.tagging.tagger"])


def _reads_environment(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            if {a.name for a in node.names} & {"environ", "getenv", "environb"}:
                lines.append(node.lineno)
    return lines


def test_the_environment_is_read_only_in_the_settings_module():
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "dags").glob("*.py"), *(ROOT / "plugins").glob("*.py")]
    offenders = {
        str(p.relative_to(ROOT)): lines
        for p in files
        if p != PACKAGE / "settings.py" and (lines := _reads_environment(ast.parse(p.read_text())))
    }
    assert offenders == {}
    assert _reads_environment(ast.parse((PACKAGE / "settings.py").read_text()))


def test_each_dag_task_has_a_package_function_of_its_name():
    from airflow.dag_processing.dagbag import DagBag

    from newsmon import run

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    task_ids = {
        t.task_id
        for dag_id in ("news_monitor", "news_alert_digest", "news_maintenance")
        for t in bag.get_dag(dag_id).tasks
    }
    assert task_ids == {
        "prepare",
        "process_batch",
        "cluster",
        "alert",
        "summarize",
        "send_digests",
        "rollover",
        "prune",
        "backup",
    }
    missing = [t for t in task_ids if not callable(getattr(run, t, None))]
    assert missing == []
    # ...and each task body calls that function, not another one.
    for dag_file in (ROOT / "dags").glob("*.py"):
        tree = ast.parse(dag_file.read_text())
        for fn in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name in task_ids):
            calls = {
                c.func.attr
                for c in ast.walk(fn)
                if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name)
                and c.func.value.id == "run"
            }  # fmt: skip
            assert calls == {fn.name}, f"{dag_file.name}: task {fn.name} calls run.{calls}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of what the build reads, so no build/ or egg-info lands in the work tree.
    src = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (found,) = out.glob("newsmon-*.whl")
    return found


def test_the_wheel_holds_the_product_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    modules = [n for n in names if n.endswith(".py")]
    assert "newsmon/run.py" in modules and "newsmon/tagging/tagger.py" in modules
    assert "newsmon/resources/articles-template.json" in names
    assert [n for n in modules if not n.startswith("newsmon/")] == []
    assert [n for n in names if "devsite" in n or "evaluation" in n or n.startswith("eval/")] == []


# An issue number or a file outside the repository means nothing to a reader of the code: the fact
# is written where it is needed instead.
ISSUE_NUMBER = re.compile(r"\b[Ii]ssues? ?#?[0-9]+|\(#[0-9]+\)")
OUTSIDE_FILES = re.compile(r"\b(?:AIRFLOW-NOTES|ES-NOTES|ANCHORS|CONTRACTS|DEVELOPERS)\.md\b")


def references_outside_the_code(text: str) -> list[str]:
    return [m.group(0) for pattern in (ISSUE_NUMBER, OUTSIDE_FILES) for m in pattern.finditer(text)]


def test_no_code_names_an_issue_number_or_a_file_outside_the_repository():
    this = Path(__file__).resolve()
    files = [
        p
        for folder in ("src", "tests", "scripts", "dags", "plugins")
        for p in sorted((ROOT / folder).rglob("*"))
        if p.is_file()
        and p.suffix in ("", ".py", ".sh", ".html", ".json", ".yaml", ".md")
        and p != this
        and "egg-info" not in str(p)
        and "fixtures" not in p.parts
        and "__pycache__" not in p.parts
    ]
    found = {
        str(p.relative_to(ROOT)): hits
        for p in files
        if (hits := references_outside_the_code(p.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}


def test_the_reference_check_sees_what_it_is_for():
    # The sample reference is put together here, so this file names no issue itself.
    number = "issue" + " 12"
    assert references_outside_the_code(f"# see {number} and (#7)") == [number, "(#7)"]
    assert references_outside_the_code("facts from ES-NOTES.md") == ["ES-NOTES.md"]
    assert references_outside_the_code("colour #fff, &#160; and 12 issues") == []
