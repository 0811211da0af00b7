"""The tagging schema: the taxonomy of config/topics.yaml and the entity catalog it names, validated
on load into typed objects.

A topic holds term groups. A group is one concept (say, the NPT) with its weight, its options and
its wording in each language (``en: [...]``, ``ru: [...]``); all its terms count as the same
concept, so a story that says "NPT" and "ДНЯО" is not scored twice for one idea. The single-term
form ``{term: ..., weight: ..., lang: ...}`` is accepted too.

The catalog (config/entities.yaml) is data an analyst extends without code: each entity has an id,
a type, a canonical name and the aliases it is written as (any language; `acronyms` match only in
the case written). Officials carry their role, and may be evidence for a topic (`topic`, `weight`).

Errors name the file, the key path and the topic or entity at fault, e.g.
``config/topics.yaml: topics[3].terms[2].weight (topic arms_control.nuclear_testing): ...``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from newsmon.config import read_yaml, validate
from newsmon.errors import ConfigError

ROOT = "arms_control"
ANY_LANGUAGE = "any"  # group key for forms used in every language (names, some acronyms)

_LANG = re.compile(r"^[a-z]{2}$")
_SUBTOPIC = re.compile(rf"^{ROOT}\.[a-z][a-z0-9_]*$")
# A wildcard ends a word ("ядерн*" = any word that starts so); a stem under 3 letters would match
# too much to be a term.
_WILDCARD_MISUSE = re.compile(r"\*\S|(?:^|\s)\S{0,2}\*")


def check_term(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a term must not be empty")
    if _WILDCARD_MISUSE.search(value):
        raise ValueError(f"{value!r}: '*' may only end a word of at least 3 letters")
    if not any(ch.isalnum() for ch in value):
        raise ValueError(f"{value!r}: a term needs at least one letter or digit")
    return value


class Context(BaseModel):
    """The term counts only when one of `near` occurs within `window` characters of it."""

    model_config = ConfigDict(extra="forbid")

    near: list[str] = Field(min_length=1)
    window: int = Field(300, ge=20, le=5000)

    @field_validator("near")
    @classmethod
    def _terms(cls, value: list[str]) -> list[str]:
        return [check_term(v) for v in value]


class TermGroup(BaseModel):
    """One concept: weight, options, its terms per language (two-letter keys, or `any`) and its
    acronyms (matched only in the case written, in any language)."""

    model_config = ConfigDict(extra="allow")

    term: str | None = None
    lang: str | None = None
    weight: float = Field(1.0, gt=0, le=10)
    case_sensitive: bool = False  # for every term of the group, not only `acronyms`
    acronyms: list[str] = Field(default_factory=list)
    context: Context | None = None

    @model_validator(mode="after")
    def _languages(self) -> TermGroup:
        for key, value in (self.model_extra or {}).items():
            if key != ANY_LANGUAGE and not _LANG.match(key):
                raise ValueError(
                    f"unknown key {key!r} (expected term, lang, weight, case_sensitive, acronyms, "
                    f"context, a two-letter language code or '{ANY_LANGUAGE}')"
                )
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{key}: expected a non-empty list of terms")
            (self.model_extra or {})[key] = [check_term(v) for v in value]
        if self.term is not None:
            self.term = check_term(self.term)
        self.acronyms = [check_term(a) for a in self.acronyms]
        if self.lang is not None and not _LANG.match(self.lang):
            raise ValueError(f"lang {self.lang!r}: expected a two-letter language code")
        if not self.terms():
            raise ValueError("a term group needs `term`, `acronyms` or at least one language list")
        return self

    def terms(self) -> list[tuple[str | None, str, bool]]:
        """(language, term, case-sensitive); language None for `any`, acronyms and a bare `term`."""
        out: list[tuple[str | None, str, bool]] = []
        if self.term is not None:
            out.append((self.lang, self.term, self.case_sensitive))
        for key, values in (self.model_extra or {}).items():
            out += [(None if key == ANY_LANGUAGE else key, v, self.case_sensitive) for v in values]
        out += [(None, a, True) for a in self.acronyms]
        return out

    @property
    def label(self) -> str:
        return self.terms()[0][1]


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    threshold: float | None = Field(None, gt=0)
    terms: list[TermGroup] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if value != ROOT and not _SUBTOPIC.match(value):
            raise ValueError(f"topic ids are '{ROOT}' or '{ROOT}.<subtopic>' (lowercase, digits, '_')")
        return value


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(8.0, gt=0)
    # The root is also tagged when the evidence of all topics together reaches this, so several
    # weaker cues from different areas can make a story ours.
    combined_threshold: float = Field(16.0, gt=0)
    title_boost: float = Field(2.0, ge=1)
    lead_boost: float = Field(1.5, ge=1)
    lead_chars: int = Field(500, ge=0)  # the lead: this many characters, at most a third of the body
    # Body scores of stories longer than this are scaled by sqrt(length_ref_chars / length): a long
    # story has more room for passing mentions. 0 turns it off.
    length_ref_chars: int = Field(3000, ge=0)


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    defaults: Defaults = Field(default_factory=Defaults)
    # Every topic must have terms in each of these languages (checked on load).
    languages: list[str] = Field(default_factory=list)
    # Phrases that cancel any term or entity match they overlap ("nuclear family", "open arms").
    exclusions: list[str] = Field(default_factory=list)
    # The entity catalog, relative to this file; loaded by load_taxonomy.
    entities_file: str | None = None
    topics: list[Topic]
    _catalog: EntityCatalog | None = PrivateAttr(default=None)

    @field_validator("exclusions")
    @classmethod
    def _exclusions(cls, value: list[str]) -> list[str]:
        return [check_term(v) for v in value]

    @model_validator(mode="after")
    def _structure(self) -> Taxonomy:
        ids = [t.id for t in self.topics]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"topic ids appear more than once: {sorted(dupes)}")
        if ROOT not in ids:
            raise ValueError(f"the root topic '{ROOT}' is missing")
        problems = []
        for topic in self.topics:
            have = {lang for group in topic.terms for lang, _, _ in group.terms()}
            missing = [lang for lang in self.languages if lang not in have]
            if missing:
                problems.append(f"topic {topic.id}: no terms in {', '.join(missing)}")
            seen: dict[tuple[bool, str], int] = {}
            for n, group in enumerate(topic.terms):
                for _, term, cased in group.terms():
                    key = (cased, term if cased else term.casefold())
                    if key in seen and seen[key] != n:
                        problems.append(
                            f"topic {topic.id}: term {term!r} is in terms[{seen[key]}] and terms[{n}]"
                        )
                    seen[key] = n
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def threshold(self, topic: Topic) -> float:
        return topic.threshold if topic.threshold is not None else self.defaults.threshold

    @property
    def entities(self) -> EntityCatalog | None:
        """The entity catalog named by `entities_file`, or None."""
        return self._catalog


# -- the entity catalog ----------------------------------------------------------------------------

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


# -- loading ---------------------------------------------------------------------------------


def load_taxonomy(path: Path) -> Taxonomy:
    """The taxonomy of `path`, with the entity catalog its `entities_file` names, both validated."""
    taxonomy = validate(Taxonomy, read_yaml(path), path, named=("topics", "topic"))
    if taxonomy.entities_file:
        topic_ids = {t.id for t in taxonomy.topics}
        taxonomy._catalog = load_entities(path.parent / taxonomy.entities_file, topic_ids)
    return taxonomy


def load_entities(path: Path, topic_ids: set[str] | None = None) -> EntityCatalog:
    catalog = validate(EntityCatalog, read_yaml(path), path, named=("entities", "entity"))
    if topic_ids is not None:
        wrong = [
            f"{path}: entities[{n}].topic (entity {e.id}): {e.topic!r} is not a topic of the taxonomy"
            for n, e in enumerate(catalog.entities)
            if e.topic and e.topic not in topic_ids
        ]
        if wrong:
            raise ConfigError("\n".join(wrong))
    return catalog
