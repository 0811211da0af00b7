"""Stories: copies of one story across URLs and outlets.

- `similarity`: text fingerprints (shingles, MinHash band keys, paragraph hashes, stored sketches);
- `clustering`: the rules and the in-memory clustering (pure), shared by `newsmon similar`, the
  dedupe evaluation and the pipeline;
- `stored`: the pipeline's clustering of new articles against the index, through newsmon.storage.
"""
