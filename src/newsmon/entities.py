"""Typed entities (treaties, organisations, weapon systems, venues, officials) from config/entities.yaml.

The catalog is data an analyst extends without code: each entry has an id, a type, a canonical
name and the aliases it is written as (any language; `acronyms` match only in the case written).
Officials carry their role, and may be evidence for a topic (`topic`, `weight`). The tagger finds
aliases with the same matcher as topic terms; this module turns those hits into the `entities`
field of an article.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newsmon.config import read_yaml
from newsmon.errors import ConfigError
from newsmon.taxonomy import Context, check_term, validate_named

EntityType = Literal["treaty", "organisation", "weapon_system", "venue", "official"]


class Entity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    type: EntityType
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    acronyms: list[str] = Field(default_factory=list)
    role: str | None = None
    organisation: str | None = None  # id of the organisation an official works for
    country: str | None = None
    context: Context | None = None
    # A mention is also evidence for this topic (an official in charge of it). Give a topic only to
    # names that are not terms of topics.yaml already, or they count twice.
    topic: str | None = None
    weight: float = Field(2.0, gt=0, le=10)

    @field_validator("aliases", "acronyms")
    @classmethod
    def _terms(cls, value: list[str]) -> list[str]:
        return [check_term(v) for v in value]

    @model_validator(mode="after")
    def _shape(self) -> Entity:
        if not self.aliases and not self.acronyms:
            raise ValueError("an entity needs at least one alias or acronym")
        if self.type == "official" and not self.role:
            raise ValueError("an official needs a role")
        if self.type != "official" and (self.role or self.organisation):
            raise ValueError("only officials have a role or an organisation")
        return self


class EntityCatalog(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    entities: list[Entity]

    @model_validator(mode="after")
    def _references(self) -> EntityCatalog:
        ids = [e.id for e in self.entities]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"entity ids appear more than once: {dupes}")
        orgs = {e.id for e in self.entities if e.type == "organisation"}
        problems = [
            f"entity {e.id}: organisation {e.organisation!r} is not an organisation id in this file"
            for e in self.entities
            if e.organisation and e.organisation not in orgs
        ]
        # One alias for two entities would make every match ambiguous.
        owner: dict[str, str] = {}
        for e in self.entities:
            for alias in [a.casefold() for a in e.aliases] + e.acronyms:
                if owner.setdefault(alias, e.id) != e.id:
                    problems.append(f"entity {e.id}: alias {alias!r} also belongs to {owner[alias]}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def load_entities(path: Path, topic_ids: set[str] | None = None) -> EntityCatalog:
    catalog = validate_named(EntityCatalog, read_yaml(path), path, "entities", "entity")
    if topic_ids is not None:
        wrong = [
            f"{path}: entities[{n}].topic (entity {e.id}): {e.topic!r} is not a topic of the taxonomy"
            for n, e in enumerate(catalog.entities)
            if e.topic and e.topic not in topic_ids
        ]
        if wrong:
            raise ConfigError("\n".join(wrong))
    return catalog


@dataclass(frozen=True)
class EntityHit:
    entity: int  # index into catalog.entities
    alias: str
    field: str
    start: int
    end: int


def collect(catalog: EntityCatalog, hits: list[EntityHit]) -> list[dict[str, Any]]:
    """One record per entity found, in order of first mention (title first)."""
    found: dict[int, dict[str, Any]] = {}
    for hit in sorted(hits, key=lambda h: (h.field != "title", h.start)):
        record = found.get(hit.entity)
        if record is None:
            entity = catalog.entities[hit.entity]
            record = {"type": entity.type, "id": entity.id, "name": entity.name}
            if entity.role:
                record["role"] = entity.role
            if entity.organisation:
                record["organisation"] = entity.organisation
            if entity.country:
                record["country"] = entity.country
            record.update(
                mentions=0, aliases=[], first={"field": hit.field, "start": hit.start, "end": hit.end}
            )
            found[hit.entity] = record
        record["mentions"] += 1
        if hit.alias not in record["aliases"]:
            record["aliases"].append(hit.alias)
    return list(found.values())
