"""The part of llm-monitor that runs inside vLLM's worker process.

It captures residual-stream activations at configured decoder layers, labels every
row with its request, position and token id, and ships them to the sidecar without
ever making the forward pass wait. It never imports ``monitor.sidecar``.
"""
