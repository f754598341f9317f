"""Scoring wing: the scoring worker (``scorer``), how probes read a request (``reading``),
probe matrices (``probe_set``), the concept encoder and the sinks scores go to."""
