"""The command groups of ``llm-monitor``, one module each with ``register(subparsers)``.

``serve_up`` (serve, up), ``model``, ``query`` (query, trace, watch, reload; with
``client`` and ``query_format``), ``rules`` and ``bench``. The offline toolkit registers
``train``, ``eval`` and ``encoder`` itself (``probes.cli``).
"""
