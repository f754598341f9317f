"""Traces wing: the trace store's write side (``writer``), read side (``reader``), the
backend protocol (``repository``), the store that puts a batch writer in front of a
repository (``store``), the SQLite repository (``sqlite``, ``sqlite_schema``), page
cursors, token text and the factory that builds the store from settings."""
