"""Traces wing: the trace store's write side (``writer``), read side (``reader``), the SQLite
repository, token text and the factory that builds the store from settings."""
