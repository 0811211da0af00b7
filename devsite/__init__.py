"""The offline sample site: a loopback HTTP server (`server`) and generated news pages (`text`).

Used by `make demo`, the tests and the benchmarks; not part of the newsmon package.
"""
