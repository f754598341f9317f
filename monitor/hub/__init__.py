"""``llm-monitor hub``: stores the trace updates of many sidecars and serves them fleet-wide.

Sidecars in hub mode push their flagged requests' updates (``TraceIngest.Push``); the hub
writes them to a fleet store (``monitor.hub.store``: chDB or a ClickHouse server) and
answers the ``TraceQuery`` API over all of them. It keeps no state of its own.
"""
