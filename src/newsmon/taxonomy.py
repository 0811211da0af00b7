"""The topic taxonomy of config/topics.yaml, validated on load."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newsmon.config import read_yaml, validate

ROOT = "arms_control"


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: str = Field(min_length=1)
    weight: float = Field(1.0, gt=0, le=10)
    case_sensitive: bool = False
    lang: str | None = None


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    threshold: float | None = Field(None, gt=0)
    terms: list[Term] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if value != ROOT and not value.startswith(ROOT + "."):
            raise ValueError(f"topic ids are '{ROOT}' or '{ROOT}.<subtopic>'")
        return value


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    threshold: float = Field(4.0, gt=0)
    title_boost: float = Field(2.0, ge=1)


class Taxonomy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    defaults: Defaults = Field(default_factory=Defaults)
    topics: list[Topic]

    @model_validator(mode="after")
    def _structure(self) -> Taxonomy:
        ids = [t.id for t in self.topics]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"topic ids appear more than once: {sorted(dupes)}")
        if ROOT not in ids:
            raise ValueError(f"the root topic '{ROOT}' is missing")
        return self

    def threshold(self, topic: Topic) -> float:
        return topic.threshold if topic.threshold is not None else self.defaults.threshold


def load_taxonomy(path: Path) -> Taxonomy:
    return validate(Taxonomy, read_yaml(path), path)
