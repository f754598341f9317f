"""llm-monitor: activation probes for LLMs served by vLLM."""

__version__ = "0.1.0"
