"""Benchmarks behind ``llm-monitor bench``: ``overhead`` (vLLM with vs without monitoring)
and ``encoder`` (concept-encoder throughput). Their settings are in :mod:`.settings`, light
to import; the benchmarks import what they measure when they run."""
