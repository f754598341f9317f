"""The llm-monitor sidecar: ingest activations, score them with probes, export metrics.

Submodules are imported explicitly (``from monitor.sidecar.app import Sidecar``) so that
light users such as the probe schema in ``monitor.artifacts.probe_format`` pull in no gRPC code.
"""
