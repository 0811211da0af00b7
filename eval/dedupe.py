"""Dedupe quality on dedupe/pairs.jsonl of the evaluation data (real labelled pairs of articles).

All texts of the file go through the same clustering as `newsmon similar` at once (so boilerplate
shared by several stories of one outlet is seen as such); a pair is "joined" when both of its
texts end in one cluster.
"""

from __future__ import annotations

from pathlib import Path

from eval.common import Report, read_jsonl
from newsmon.stories.clustering import cluster_docs, make_doc
from newsmon.stories.similarity import containment, jaccard, shingles

MUST_JOIN = {  # label prefixes; "syndicated_column" covers its "_rewritten" variant
    "wire_duplicate", "edited_wire", "syndicated_column", "exact_duplicate",
}  # fmt: skip
MUST_NOT = {"same_event_independent", "boilerplate_false_positive"}


def evaluate(eval_dir: Path) -> Report:
    rows = read_jsonl(eval_dir / "dedupe" / "pairs.jsonl")
    texts: dict[str, tuple[str, str]] = {}
    for row in rows:
        for side in ("a", "b"):
            texts[row[side]["id"]] = (row[side]["text"], row[side].get("outlet") or "")
    docs = [make_doc(i, body, source=outlet) for i, (body, outlet) in texts.items()]
    matches: dict[str, str] = {}
    cluster_of = {i: n for n, group in enumerate(cluster_docs(docs, matches)) for i in group}
    kinds: dict[str, int] = {}

    joined_ok = apart_ok = n_join = n_not = 0
    lines: list[str] = []
    for row in rows:
        a, b = row["a"]["id"], row["b"]["id"]
        joined = cluster_of[a] == cluster_of[b]
        sa, sb = shingles(texts[a][0]), shingles(texts[b][0])
        j, c = jaccard(sa, sb), containment(sa, sb)
        label = row["label"]
        if any(label.startswith(p) for p in MUST_JOIN):
            n_join += 1
            joined_ok += joined
            verdict = f"ok ({matches.get(a)}/{matches.get(b)})" if joined else "MISSED (should join)"
            if joined:
                kind = min(matches[a], matches[b], key=lambda k: "edited near exact".split().index(k))
                kinds[kind] = kinds.get(kind, 0) + 1
        elif label in MUST_NOT:
            n_not += 1
            apart_ok += not joined
            verdict = "ok" if not joined else "WRONGLY JOINED"
        else:
            verdict = "joined" if joined else "apart"
            verdict += " (no expectation)"
        lines.append(f"pair {row['pair_id']:>3} {label:<36} J5={j:.2f} C5={c:.2f} {verdict}")
    join_rate = joined_ok / n_join if n_join else 1.0
    apart_rate = apart_ok / n_not if n_not else 1.0
    head = [
        f"must join: {joined_ok}/{n_join} joined ({join_rate:.1%}); must not join: {apart_ok}/{n_not} apart "
        f"({apart_rate:.1%}); {len(texts)} texts",
        "must-join pairs joined as: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
    ]
    return Report(
        area="dedupe",
        metrics={
            "must_join_recall": join_rate,
            "must_not_apart": apart_rate,
            "wrong_joins": float(n_not - apart_ok),
        },
        lines=head + lines,
    )
