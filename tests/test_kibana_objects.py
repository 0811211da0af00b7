"""The bundled Kibana objects hang together: every reference resolves, and every field a data
view, visualization or saved search uses exists in the mapping of the index behind it.

Kibana cannot run here, so this is checked against the files Elasticsearch gets (index template
and mappings), not against a live Kibana.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

import pytest

from newsmon.kibana import render_saved_objects

PREFIX = "newsmon-"
# The feed state index's fields the objects rely on, used while src/newsmon/resources has no
# feeds-mapping.json (a colleague adds it on the feed-state branch; when present, it is used).
ASSUMED_FEED_FIELDS = {
    "id", "url", "health", "consecutive_failures", "next_due", "last_status", "last_error", "@timestamp",
}  # fmt: skip
# Data view title -> the packaged file that maps the index behind it.
MAPPING_FILES = {
    f"{PREFIX}articles*": "articles-template.json",
    f"{PREFIX}alert-events*": "alert-events-mapping.json",
    f"{PREFIX}runs": "runs-mapping.json",
    f"{PREFIX}feeds": "feeds-mapping.json",
}


def _objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in render_saved_objects(PREFIX).splitlines() if line.strip()]


def _flatten(props: dict[str, Any], path: str = "") -> set[str]:
    out: set[str] = set()
    for name, spec in props.items():
        full = f"{path}{name}"
        out.add(full)
        out |= {f"{full}.{sub}" for sub in spec.get("fields", {})}
        out |= _flatten(spec.get("properties", {}), f"{full}.")
    return out


def _fields(view_title: str) -> set[str]:
    name = MAPPING_FILES[view_title]
    resource = resources.files("newsmon.resources").joinpath(name)
    if not resource.is_file():
        assert name == "feeds-mapping.json", f"{name} is missing"
        return ASSUMED_FEED_FIELDS
    body = json.loads(resource.read_text(encoding="utf-8"))
    mappings = body["template"]["mappings"] if "template" in body else body["mappings"]
    return _flatten(mappings["properties"])


def _query_fields(query: str) -> set[str]:
    return set(re.findall(r"([A-Za-z_@][\w.@]*)\s*:", query))


def _source(obj: dict[str, Any]) -> dict[str, Any]:
    return json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])


def test_every_reference_resolves():
    objs = _objects()
    known = {(o["type"], o["id"]) for o in objs}
    for obj in objs:
        names = {r["name"] for r in obj["references"]}
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in known, f"{obj['id']}: {ref} is not in the file"
        if "kibanaSavedObjectMeta" in obj["attributes"]:
            ref_name = _source(obj).get("indexRefName")
            assert ref_name is None or ref_name in names, f"{obj['id']}: {ref_name} has no reference"
        if obj["type"] == "dashboard":
            panels = json.loads(obj["attributes"]["panelsJSON"])
            assert {p["panelRefName"] for p in panels} == names, obj["id"]
            assert len({p["panelIndex"] for p in panels}) == len(panels)


def test_every_field_used_exists_in_its_index_mapping():
    objs = _objects()
    views = {o["id"]: o["attributes"]["title"] for o in objs if o["type"] == "index-pattern"}
    assert set(views.values()) == set(MAPPING_FILES)
    problems = []
    for obj in objs:
        attrs = obj["attributes"]
        if obj["type"] == "index-pattern":
            title = attrs["title"]
            used = {attrs["timeFieldName"]} if attrs.get("timeFieldName") else set()
        elif obj["type"] in ("visualization", "search"):
            title = views[obj["references"][0]["id"]]
            used = _query_fields(_source(obj)["query"]["query"])
            if obj["type"] == "visualization":
                aggs = json.loads(attrs["visState"])["aggs"]
                used |= {a["params"]["field"] for a in aggs if "field" in a.get("params", {})}
            else:
                used |= set(attrs["columns"]) | {field for field, _ in attrs["sort"]}
        else:
            continue
        missing = used - _fields(title)
        if missing:
            problems.append(f"{obj['type']} {obj['id']} ({title}): {sorted(missing)}")
    assert problems == []


def test_dashboard_shows_what_analysts_asked_for():
    objs = {o["id"]: o for o in _objects()}
    board = objs[f"{PREFIX}overview"]
    shown = {objs[r["id"]]["attributes"]["title"] for r in board["references"]}
    assert {
        "Stories per day by subtopic", "Top outlets", "Top entities", "Alerts per rule", "Feed health",
    } <= shown  # fmt: skip
    per_day = json.loads(objs[f"{PREFIX}stories-per-day"]["attributes"]["visState"])
    split = [a for a in per_day["aggs"] if a["type"] == "terms"][0]["params"]
    assert split["field"] == "topics" and re.fullmatch(split["include"], "arms_control.treaties")
    assert not re.fullmatch(split["include"], "arms_control")


@pytest.mark.parametrize("query, fields", [("NOT duplicate_of:*", {"duplicate_of"}), ("", set())])
def test_query_field_parser(query, fields):
    assert _query_fields(query) == fields
