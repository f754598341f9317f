"""Request ids as vLLM's engine sees them and as its API clients see them.

vLLM's OpenAI server names a request ``chatcmpl-<base>`` (or ``cmpl-<base>``), where
``<base>`` is the client's ``X-Request-Id`` header when it sets one, and returns that id to
the client. Its engine then appends ``-`` and 8 random hex digits to make the internal id
the plugin sees (``vllm/v1/engine/input_processor.py`` in vLLM 0.32). The trace store keeps
both, so a user can look a trace up with the id from the API response, the header, or the
internal id in vLLM's logs.

A request may also carry a tenant tag (``vllm_xargs`` ``llm_monitor_tenant``) that is
stored with its trace and alerts; ``valid_tenant`` is the rule both the plugin and the
sidecar apply to it.
"""

from __future__ import annotations

import re

_INTERNAL_SUFFIX = re.compile(r"-[0-9a-f]{8}$")
#: Prefixes vLLM's OpenAI server puts before the client's X-Request-Id.
API_PREFIXES = ("chatcmpl-", "cmpl-")
#: The longest tenant tag accepted, in characters.
MAX_TENANT_CHARS = 64


def external_request_id(request_id: str) -> str:
    """The id the API client saw: ``request_id`` without vLLM's internal suffix (unchanged
    when it has none)."""
    return _INTERNAL_SUFFIX.sub("", request_id)


def lookup_ids(given: str) -> tuple[str, ...]:
    """External ids a user-given id may stand for: itself, and the API ids vLLM makes of
    it when it was an ``X-Request-Id`` header."""
    if given.startswith(API_PREFIXES):
        return (given,)
    return (given, *(prefix + given for prefix in API_PREFIXES))


def valid_tenant(value: object) -> bool:
    """Whether ``value`` is a usable tenant tag: a string of 1 to ``MAX_TENANT_CHARS``
    printable characters (no control characters or line breaks)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_TENANT_CHARS and value.isprintable()
