"""The stored alert rules, `${prefix}alert-rules` (resources/alert-rules-mapping.json): one
document per rule id, with its definition, required terms, last error and last digest time. Rules
of config/alerts.yaml and rules made on the search page (`source: page`) live side by side.
Deciding what to store is newsmon.alerts.percolate's and newsmon.alerts.owned's; this module
reads and writes."""

from __future__ import annotations

from typing import Any

from elasticsearch import ConflictError

from newsmon.storage.backend import Backend, resource_json

MAPPING = "alert-rules-mapping.json"


class AlertRules:
    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def index(self) -> str:
        return self.backend.names.alert_rules

    def ensure(self) -> None:
        """Create the rules index unless it exists."""
        self.backend.ensure_index(self.index, MAPPING)

    def update_mapping(self) -> None:
        """Add the packaged mapping's fields to an index made by an older version (adding fields is
        always allowed)."""
        props = resource_json(MAPPING, self.backend.prefix)["mappings"]["properties"]
        self.backend.es.indices.put_mapping(index=self.index, properties=props)

    def scan(self, query: dict[str, Any], source: list[str] | bool = True) -> list[dict[str, Any]]:
        """Every stored rule matching `query`, as hits (`_id`, `_source`)."""
        return list(self.backend.scan(query, source=source, index=self.index))

    def update(
        self, rule_id: str, doc: dict[str, Any], *, upsert: bool = False, wait_for_refresh: bool = False
    ) -> None:
        """Change fields of one stored rule (create it from `doc` with `upsert`); the other fields
        stay as they are."""
        kwargs: dict[str, Any] = {}
        if upsert:
            kwargs["doc_as_upsert"] = True
        if wait_for_refresh:  # refreshing this small index now is faster than waiting for its refresh
            kwargs["refresh"] = True
        self.backend.es.update(index=self.index, id=rule_id, doc=doc, **kwargs)

    def delete(self, rule_id: str, *, wait_for_refresh: bool = False) -> None:
        self.backend.es.delete(index=self.index, id=rule_id, refresh=wait_for_refresh)

    def get(self, rule_id: str) -> dict[str, Any] | None:
        """One stored rule with its `_seq_no` and `_primary_term` (for `replace`), or None."""
        self.ensure()
        resp = self.backend.es.options(ignore_status=404).get(index=self.index, id=rule_id)
        if not resp.get("found"):
            return None
        return dict(resp["_source"]) | {"_seq_no": resp["_seq_no"], "_primary_term": resp["_primary_term"]}

    def create(self, rule_id: str, doc: dict[str, Any]) -> bool:
        """Store a new rule; False when a rule of that id exists (it is left as it is)."""
        self.ensure()
        try:
            self.backend.es.create(index=self.index, id=rule_id, document=doc, refresh=True)
        except ConflictError:
            return False
        return True

    def replace(self, rule_id: str, doc: dict[str, Any], seq_no: int, primary_term: int) -> bool:
        """Write a rule's whole new document if it is still the version read (`get`); False when
        someone changed it since."""
        try:
            self.backend.es.index(
                index=self.index, id=rule_id, document=doc, if_seq_no=seq_no, if_primary_term=primary_term,
                refresh=True,
            )  # fmt: skip
        except ConflictError:
            return False
        return True

    def all(self) -> list[dict[str, Any]]:
        """Every stored rule, configuration and page-made, by id."""
        self.ensure()
        hits = self.scan({"match_all": {}})
        return sorted((h["_source"] | {"rule_id": h["_id"]} for h in hits), key=lambda r: str(r["rule_id"]))

    def refresh(self) -> None:
        self.backend.es.indices.refresh(index=self.index)

    def broken(self) -> list[dict[str, Any]]:
        """Stored rules whose current definition in alerts.yaml is broken (their last good one runs)."""
        self.ensure()
        return [h["_source"] for h in self.scan({"exists": {"field": "error_at"}})]

    def enabled(self) -> list[dict[str, Any]]:
        """The stored rules that are switched on."""
        self.ensure()
        return [h["_source"] for h in self.scan({"term": {"enabled": True}})]
