"""Quality evaluation on real third-party data (../shared/eval): `make eval`.

Each area (extraction, topics, dedupe) is a module with `evaluate(eval_dir) -> Report`; the floors
a report must meet are pinned in eval/floors/<area>.json and a crossed floor fails the run, as
trafilatura's own evaluation gate does.
"""
