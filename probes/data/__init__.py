"""Labelled data for the probes: the record format, a validating loader and the
template-based generator (``python -m probes.data.generate``)."""

from probes.data.records import Message, Record, RecordError, load_records

__all__ = ["Message", "Record", "RecordError", "load_records"]
