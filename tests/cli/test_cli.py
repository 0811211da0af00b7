"""The `newsmon` command as a command: version, help on every argument, exit codes, --json."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from newsmon import __version__
from newsmon.cli import main
from newsmon.cli.common import EXIT_CONFIG, EXIT_UNAVAILABLE, EXIT_USAGE
from newsmon.cli.parser import build_parser
from newsmon.kibana import render_saved_objects
from tests.helpers.servers import FakeKibana, free_port, kibana_import_success


def _walk(parser: argparse.ArgumentParser, path: str = "newsmon"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _walk(child, f"{path} {name}")


def test_every_argument_and_command_has_help():
    missing = []
    for path, parser in _walk(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helped = {a.dest for a in action._choices_actions if a.help}
                missing += [f"{path} {name}" for name in action.choices if name not in helped]
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_commands_that_print_data_take_json():
    printing = {
        "newsmon setup", "newsmon run", "newsmon search", "newsmon extract", "newsmon tag", "newsmon similar",
        "newsmon runs", "newsmon kibana import", "newsmon alerts list", "newsmon alerts sync",
        "newsmon alerts test", "newsmon alerts history", "newsmon alerts deliver", "newsmon alerts digest",
    }  # fmt: skip
    options = {
        path: {o for a in parser._actions for o in a.option_strings} for path, parser in _walk(build_parser())
    }
    assert [p for p in sorted(printing) if "--json" not in options[p]] == []


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"newsmon {__version__}"


def test_help_lists_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for code in ("0", "1", "2", "3", "4", "78", "130"):
        assert f"\n  {code} " in out


def test_usage_and_configuration_errors_exit_differently(monkeypatch, capsys):
    with pytest.raises(SystemExit) as info:
        main(["search"])  # the query is missing
    assert info.value.code == EXIT_USAGE == 2
    monkeypatch.setenv("NEWSMON_CONNECT_TIMEOUT", "soon")
    assert main(["runs"]) == EXIT_CONFIG == 78
    assert "NEWSMON_CONNECT_TIMEOUT" in capsys.readouterr().err


def test_elasticsearch_unreachable_exits_3(monkeypatch):
    monkeypatch.setenv("NEWSMON_ES_URL", f"http://127.0.0.1:{free_port()}")
    assert main(["-q", "runs", "--json"]) == EXIT_UNAVAILABLE == 3


def test_similar_output_forms():
    lines = '{"id": "1", "title": "a", "body": "one two three four five six seven eight"}\n{"id": "2", "body": "x"}\n'

    def run(*flags: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "newsmon.cli", "similar", *flags],
            input=lines, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert [json.loads(x) for x in run("--jsonl").splitlines()] == [{"ids": ["1"]}, {"ids": ["2"]}]
    assert json.loads(run("--json")) == {"stories": [{"ids": ["1"]}, {"ids": ["2"]}]}
    assert run().splitlines() == ["story 1 (1 copy): 1", "story 2 (1 copy): 2"]


def test_kibana_import_prints_one_line_or_json(monkeypatch, capsys):
    monkeypatch.setenv("NEWSMON_INDEX_PREFIX", "newsmon-")
    with FakeKibana() as fake:
        fake.replies = [(200, kibana_import_success(render_saved_objects("newsmon-")))]
        assert main(["kibana", "import", "--url", fake.url]) == 0
        [line] = capsys.readouterr().out.splitlines()
        assert line.startswith(f"Kibana at {fake.url}") and "imported" in line and "{" not in line
        assert main(["kibana", "import", "--url", fake.url, "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["success_count"] == len(result["objects"]) > 0


def test_extract_and_tag_json(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>T</title></head><body><p>Riabkov met Sherman in Geneva.</p></body></html>"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "extract", str(page), "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["files"][0]["file"] == str(page)
    # A PDF document by its signature; an encrypted one is named and makes the exit code 1.
    from devsite.pdfs import encrypted, sample_document

    (tmp_path / "report.pdf").write_bytes(sample_document())
    (tmp_path / "locked.pdf").write_bytes(encrypted(sample_document()))
    proc = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "extract", str(tmp_path / "report.pdf"), str(tmp_path / "locked.pdf"),
         "--json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 1 and "locked.pdf: encrypted PDF" in proc.stderr
    [pdf] = json.loads(proc.stdout)["files"]
    assert pdf["content_type"] == "pdf" and pdf["page_count"] == 2 and pdf["title"].startswith("GOV/2021/41")
    proc = subprocess.run(
        [sys.executable, "-m", "newsmon.cli", "tag", "--json"],
        input="New START talks\nRussia and the US discussed the New START treaty and strategic stability.",
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert {"topics", "topic_scores", "topic_evidence", "entities"} <= set(json.loads(proc.stdout))
