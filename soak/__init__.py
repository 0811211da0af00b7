"""The soak: a whole newsmon deployment run through simulated days on loopback, in minutes.

`python -m soak --days N` (or `make soak DAYS=N`) starts a simulated world in a process of its own
(`soak.world`: outlets publishing stories every day, wire copies on other outlets days later, feeds
that die, move, come back and rate-limit, and a webhook receiver for alerts), then drives newsmon's
real task functions (`newsmon.run`) through the days with newsmon's clock injected (`newsmon.clock.
use`): passes, digests, maintenance (rollover, retention, backup), weekly alert-rule edits, one
Elasticsearch restart and one restore from a snapshot. `soak.ledger` keeps what should have happened
and compares it with what did; the run ends with a table and a one-line verdict."""
