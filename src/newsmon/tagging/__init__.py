"""Arms-control tagging, in three layers that import one way:

schema (the taxonomy and entity catalog, validated into typed objects) -> matching (one automaton
over every term) -> tagger (scores, evidence, entities).
"""

from newsmon.tagging.schema import ROOT, EntityCatalog, Taxonomy, load_entities, load_taxonomy
from newsmon.tagging.tagger import Tagger, TagResult

__all__ = ["ROOT", "EntityCatalog", "TagResult", "Tagger", "Taxonomy", "load_entities", "load_taxonomy"]
