"""Pure, stateless building blocks of feed polling.

Formats, aggregator links, publisher hints, the adaptive schedule, OPML and feed discovery. Nothing
here does I/O beyond reading a file it is given; the pipeline wires these into the feed stage.
"""
