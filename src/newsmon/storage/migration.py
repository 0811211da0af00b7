"""Rebuilding the articles indices while passes keep writing: `reindex_articles`, and the
redirection of writes that meet its write block (`Relocator`).

The reindex, step by step (Schema.reindex_articles calls `reindex_articles`):

1. create the new index (the template gives settings and mappings);
2. make it the alias's write index in one alias update: new articles go there from now on, the old
   indices stay in the alias, readable;
3. put a write block (`index.blocks.write`) on the old indices: Elasticsearch waits for the writes
   in flight, then refuses others, so the copy reads a frozen snapshot;
4. a write a pass addresses at an old index (a story re-indexed because its feed entry changed, a
   cluster update of `duplicate_of`/`cluster_size`, new URL forms) meets the block and is redirected
   by `Relocator`: the whole document (for a partial update, the stored document with the change
   applied) is written into the writable index that holds it, else into the write index; nothing
   is deleted (the old index goes away at the end);
5. copy old -> new with op_type `create`, so a document written there meanwhile (newer) wins over
   its old copy (409, counted as `kept_newer`);
6. drop the old indices from the alias and delete them in one alias update (`remove_index`).

Searches during the migration may see an article twice (its old copy and its newer one); after it
every article is stored once. A write addressed at an index that has left the alias (a pass that
looked an article up before the reindex ended) is sent to the index that now holds the article
(`Relocator.retarget`, asked before each write).

If the copy fails, the reindex is undone: the block is lifted from the old indices, the newest old
index becomes the write index again, the new index is blocked, every document in it is copied back
(into the old index that holds its id, else the write index; it is newer than the old copy), and
then the new index is dropped from the alias and deleted. A write a pass sends to a story during
that copy-back may be overwritten by the story's newer copy from the new index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from newsmon.analysis import base_field, language_fields
from newsmon.errors import StoreError
from newsmon.storage.backend import WRITE_BLOCK, Backend, write_block

log = logging.getLogger(__name__)

COPY_CHUNK = 200


def upgraded(source: dict[str, Any]) -> dict[str, Any]:
    """An article document as the current template stores it: per-language copies made anew."""
    doc = {k: v for k, v in source.items() if base_field(k) == k}
    doc.update(language_fields(doc))
    return doc


@dataclass
class AliasState:
    members: list[str]  # the indices behind the alias
    write_index: str | None
    blocked: set[str]  # members with index.blocks.write

    @property
    def writable(self) -> list[str]:
        return [i for i in self.members if i not in self.blocked]

    @property
    def migrating(self) -> bool:
        """Whether the blocks are a reindex's: every index but the write index blocked (the copy),
        or only the newest, which is not the write index (its undo). An operator's block on one
        older index of several is neither."""
        if self.write_index is None or self.write_index in self.blocked or not self.blocked:
            return False
        others = {i for i in self.members if i != self.write_index}
        return self.blocked == others or self.blocked == {self.members[-1]}


class Relocator:
    """Where the writes of the articles repository go while a reindex runs (see the module doc)."""

    def __init__(self, backend: Backend):
        self.backend = backend

    @property
    def alias(self) -> str:
        return self.backend.names.articles

    def state(self) -> AliasState:
        es = self.backend.es
        found = es.indices.get_alias(name=self.alias)
        members = sorted(found)
        flagged = [n for n in members if found[n]["aliases"][self.alias].get("is_write_index")]
        write_index = flagged[0] if flagged else (members[0] if len(members) == 1 else None)
        settings = es.indices.get_settings(index=self.alias, name=WRITE_BLOCK)
        blocked = {
            n for n, s in settings.items()
            if str(s.get("settings", {}).get("index", {}).get("blocks", {}).get("write")).lower() == "true"
        }  # fmt: skip
        return AliasState(members, write_index, blocked)

    def holders(self, ids: list[str], indices: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
        """id -> {index: source} of the stored copies of `ids` in `indices` (a real-time multi-get,
        so a write of a moment ago is seen)."""
        if not ids or not indices:
            return {}
        docs = [{"_index": i, "_id": d} for d in dict.fromkeys(ids) for i in indices]
        resp = self.backend.es.mget(docs=docs)
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for doc in resp["docs"]:
            if doc.get("found"):
                out.setdefault(doc["_id"], {})[doc["_index"]] = doc["_source"]
        return out

    def retarget(self, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`actions` with those addressed at an index no longer behind the alias (a reindex ended
        since the article was looked up) sent to the index that holds the article now (a full
        document with no holder: the write index)."""
        gone = [a for a in actions if str(a.get("_index", "")).startswith(f"{self.alias}-")]
        if not gone:
            return actions
        state = self.state()
        gone = [a for a in gone if a["_index"] not in state.members]
        if not gone:
            return actions
        copies = self.holders([a["_id"] for a in gone], state.members)
        moved = {id(a) for a in gone}
        out = []
        for action in actions:
            if id(action) in moved:
                held = [i for i in state.writable if i in copies.get(action["_id"], {})]
                target = held[0] if held else state.write_index
                if target is not None and (held or action.get("_op_type") == "index"):
                    action = {**action, "_index": target}
            out.append(action)
        return out

    def __call__(self, blocked: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[dict[str, Any]] | None:
        """Backend.bulk's `redirect`: the writes a reindex's write block refused, as whole documents
        for the writable index that holds each (else the write index); None (the step stops with
        StoreReadOnly) for any other block, e.g. a full disk."""
        for _action, info in blocked:
            found = write_block(info.get("error"))
            if found is None or found[1] != WRITE_BLOCK:
                return None
        state = self.state()
        write_index = state.write_index
        if (
            write_index is None
            or not state.migrating
            or any(a.get("_index") not in state.blocked for a, _ in blocked)
        ):
            return None  # not a reindex's block: an operator's
        copies = self.holders([a["_id"] for a, _ in blocked], state.members)
        out = []
        for action, _info in blocked:
            doc_copies = copies.get(action["_id"], {})
            held = [i for i in state.writable if i in doc_copies]
            target = held[0] if held else write_index
            op = action.get("_op_type", "index")
            if op == "index":
                source = dict(action["_source"])
            elif op == "update":
                base = doc_copies.get(target) or doc_copies.get(action["_index"])
                if base is None:
                    return None
                source = upgraded({**base, **action["doc"]})  # shallow: the partial docs are flat
            else:
                return None
            out.append({"_op_type": "index", "_index": target, "_id": action["_id"], "_source": source})
        return out


def next_index(backend: Backend, members: list[str]) -> str:
    numbers = [int(n.rsplit("-", 1)[1]) for n in members if n.rsplit("-", 1)[1].isdigit()]
    return backend.names.articles_index(max(numbers, default=0) + 1)


def reindex_articles(backend: Backend) -> dict[str, Any]:
    """The reindex of the module doc. Returns `from` (old indices), `to` (the new one),
    `documents` (copied) and `kept_newer` (written meanwhile, so not copied over)."""
    es, alias = backend.es, backend.names.articles
    old = sorted(es.indices.get_alias(name=alias))
    new = next_index(backend, old)
    es.indices.create(index=new)
    es.indices.update_aliases(
        actions=[{"add": {"index": i, "alias": alias, "is_write_index": False}} for i in old]
        + [{"add": {"index": new, "alias": alias, "is_write_index": True}}]
    )
    log.info("reindex: %s is the write index of %s; copying %s", new, alias, ", ".join(old))
    try:
        es.indices.add_block(index=",".join(old), block="write")
        copied, kept = copy_documents(backend, old, new)
    except Exception:
        log.exception("reindex into %s failed: undoing it", new)
        undo(backend, old, new)
        raise
    es.indices.refresh(index=new)
    es.indices.update_aliases(actions=[{"remove_index": {"index": i}} for i in old])
    log.info("reindex: %d article(s) copied, %d written meanwhile kept; %s deleted", copied, kept, old)
    return {"from": old, "to": new, "documents": copied, "kept_newer": kept}


def _copies(backend: Backend, source: list[str], target: str, op: str) -> Iterator[dict[str, Any]]:
    for hit in backend.scan({"match_all": {}}, source=True, index=",".join(source)):
        yield {"_op_type": op, "_index": target, "_id": hit["_id"], "_source": upgraded(hit["_source"])}


def copy_documents(backend: Backend, old: list[str], new: str) -> tuple[int, int]:
    """Copy every article of `old` into `new` with `create`: (copied, kept because newer)."""
    copied = kept = 0
    failed: list[str] = []
    for out in backend.bulk(_copies(backend, old, new, "create"), chunk_size=COPY_CHUNK):
        if out.ok:
            copied += 1
        elif out.info.get("status") == 409:
            kept += 1  # written by a pass meanwhile, or our own write of a resent chunk
        else:
            failed.append(f"{out.info.get('_id')}: {out.info.get('error')}")
    if failed:
        raise StoreError(
            f"reindex into {new}: {len(failed)} document(s) failed, e.g. {failed[0]}; undone, the "
            f"articles stay in {', '.join(old)}",
            500,
            "reindex_failed",
        )
    return copied, kept


def undo(backend: Backend, old: list[str], new: str) -> None:
    """Put the alias back on `old` without losing what was written to `new` (see the module doc)."""
    es, alias = backend.es, backend.names.articles
    es.indices.put_settings(index=",".join(old), settings={WRITE_BLOCK: None})
    es.indices.update_aliases(
        actions=[{"add": {"index": old[-1], "alias": alias, "is_write_index": True}}]
        + [{"add": {"index": new, "alias": alias, "is_write_index": False}}]
    )
    es.indices.add_block(index=new, block="write")
    es.indices.refresh(index=new)
    relocator = Relocator(backend)
    moved = 0
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal moved
        copies = relocator.holders([a["_id"] for a in batch], old)
        for action in batch:
            held = [i for i in old if i in copies.get(action["_id"], {})]
            action["_index"] = held[0] if held else old[-1]
        for out in backend.bulk(batch, chunk_size=COPY_CHUNK):
            if not out.ok:
                raise StoreError(
                    f"undoing the reindex: {out.info.get('_id')} could not be copied back from {new} "
                    f"({out.info.get('error')}); {new} stays in the alias {alias}, nothing is lost",
                    500,
                    "reindex_undo_failed",
                )
            moved += 1
        batch.clear()

    for action in _copies(backend, [new], old[-1], "index"):
        batch.append(action)
        if len(batch) >= COPY_CHUNK:
            flush()
    flush()
    es.indices.refresh(index=",".join(old))
    es.indices.update_aliases(actions=[{"remove_index": {"index": new}}])
    log.info("reindex undone: %d article(s) written to %s meanwhile copied back; it is deleted", moved, new)
