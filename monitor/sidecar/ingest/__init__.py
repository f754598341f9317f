"""Ingest wing: decoding and validating activation batches and the ``Ingest`` stream handler."""
