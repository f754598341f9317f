"""Scoring wing: the scoring worker (``scorer``, with its queue ``batch_queue`` and in-flight
requests ``in_flight``), how probes read a request (``reading``), probe matrices
(``probe_set``), the concept encoder and the sinks scores go to."""
