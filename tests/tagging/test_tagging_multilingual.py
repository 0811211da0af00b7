"""Short stories written for these tests, in each configured language: what must be tagged, what
must not, and the entities that must be named (tests/fixtures/tagging/<lang>.yaml)."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from newsmon.tagging import Tagger, load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "tagging"
LANGUAGES = ("en", "es", "fr", "de", "ru")


def stories() -> list[Any]:
    out = []
    for lang in LANGUAGES:
        for story in yaml.safe_load((FIXTURES / f"{lang}.yaml").read_text(encoding="utf-8")):
            out.append(pytest.param(story, id=story["id"]))
    return out


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_taxonomy(ROOT / "config" / "topics.yaml"))


@pytest.mark.parametrize("story", stories())
def test_story(tagger: Tagger, story: dict[str, Any]) -> None:
    result = tagger.tag(story["title"], story["body"])
    assert sorted(result.topics) == sorted(story["topics"]), result.scores
    found = {e["id"] for e in result.entities}
    assert set(story.get("entities", [])) <= found
    for ev in result.evidence:
        text = story["title"] if ev["field"] == "title" else story["body"]
        assert text[ev["start"] : ev["end"]] == ev["text"]


def test_every_language_has_positive_and_negative_stories() -> None:
    for lang in LANGUAGES:
        items = yaml.safe_load((FIXTURES / f"{lang}.yaml").read_text(encoding="utf-8"))
        assert any(s["topics"] for s in items) and any(not s["topics"] for s in items), lang


def test_shipped_taxonomy_covers_every_language() -> None:
    taxonomy = load_taxonomy(ROOT / "config" / "topics.yaml")
    assert set(LANGUAGES) <= set(taxonomy.languages)
    for topic in taxonomy.topics:
        langs = {lang for group in topic.terms for lang, _, _ in group.terms()}
        assert set(LANGUAGES) <= langs, topic.id
