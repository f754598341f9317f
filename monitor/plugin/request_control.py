"""Per-request control through vLLM's ``vllm_xargs`` (``SamplingParams.extra_args``).

A client of vLLM's OpenAI API passes, in the request body::

    "vllm_xargs": {"llm_monitor_capture": "off", "llm_monitor_tenant": "team-a"}

(with the ``openai`` package: ``extra_body={"vllm_xargs": {...}}``).

- ``llm_monitor_capture``: ``"off"`` (also ``"false"``, ``"no"``, ``"0"``, ``false``, ``0``)
  opts the request out of capture: none of its rows, prompt tokens or uncaptured notes
  leave the vLLM process (its rows are counted as dropped, reason ``opted_out``), so it has
  no scores, alerts or trace. ``"on"`` (or absent) captures it. Any other value is ignored
  (the request is captured) and logged. Honoured only when the operator turns
  ``allow_opt_out`` on (``LLM_MONITOR_PLUGIN_ALLOW_OPT_OUT=1``); by default every request is
  captured and an opt-out is logged, since any API caller could otherwise switch a misuse
  monitor off for their own request.
- ``llm_monitor_tenant``: a tag of 1 to 64 printable characters
  (:func:`monitor.request_ids.valid_tenant`) stored with the request's trace and alerts
  (never a metric label). Another value is ignored (the request is captured without a
  tenant) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from monitor.logutil import RateLimitedLog
from monitor.plugin import vllm_compat
from monitor.plugin.vllm_compat import SchedulerOutputLike
from monitor.request_ids import MAX_TENANT_CHARS, valid_tenant

log = logging.getLogger("vllm.llm_monitor")

CAPTURE_KEY = "llm_monitor_capture"
TENANT_KEY = "llm_monitor_tenant"
#: Values of ``llm_monitor_capture`` that turn capture off (strings compared lowercased).
OFF_VALUES = frozenset({"off", "false", "no", "0"})
#: Values that leave it on.
ON_VALUES = frozenset({"on", "true", "yes", "1"})


@dataclass(frozen=True)
class RequestControl:
    """What a request asked for: capture or not, its tenant, and what was ignored."""

    capture: bool = True
    tenant: str = ""
    problem: str = ""  # why a value was ignored ('' when none was)


DEFAULT = RequestControl()


def _switch(value: object) -> bool | None:
    """True (on), False (off) or None (not a switch value)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return None if value not in (0, 1) else bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in OFF_VALUES:
            return False
        if text in ON_VALUES:
            return True
    return None


def parse_control(
    args: Mapping[str, object] | None, *, allow_opt_out: bool = True
) -> RequestControl:
    """The control a request's ``extra_args`` ask for (``DEFAULT`` without our keys)."""
    if not args or (CAPTURE_KEY not in args and TENANT_KEY not in args):
        return DEFAULT
    problems: list[str] = []
    capture = True
    if CAPTURE_KEY in args:
        switch = _switch(args[CAPTURE_KEY])
        if switch is None:
            problems.append(f"{CAPTURE_KEY} must be 'on' or 'off', got {_shown(args[CAPTURE_KEY])}")
        elif not switch and not allow_opt_out:
            problems.append(f"{CAPTURE_KEY}=off is not allowed here (allow_opt_out is off)")
        else:
            capture = switch
    tenant = ""
    if TENANT_KEY in args:
        value = args[TENANT_KEY]
        if valid_tenant(value):
            tenant = str(value)
        else:
            problems.append(
                f"{TENANT_KEY} must be 1 to {MAX_TENANT_CHARS} printable characters,"
                f" got {_shown(value)}"
            )
    return RequestControl(capture=capture, tenant=tenant, problem="; ".join(problems))


def _shown(value: object) -> str:
    """A short, safe rendering of a client value for a log line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


#: Opted-out requests remembered until they finish (oldest forgotten first): far above
#: the number of requests vLLM runs at once.
MAX_OPTED_OUT = 65536

StartedRequest = tuple[str, list[int], str]
"""(request id, prompt token ids, tenant) of a request that started, as shipped."""


class RequestControls:
    """The step thread's view of per-request control: which running requests opted out,
    and the tenant each started request carries.

    ``opted_out`` is an immutable snapshot, replaced (not mutated) when it changes, so a
    step can hand it to the shipper thread as it is.
    """

    def __init__(self, allow_opt_out: bool) -> None:
        self._allow = allow_opt_out
        self._log = RateLimitedLog(log, interval_s=30.0)
        self._opted: dict[str, None] = {}  # insertion-ordered set
        self.opted_out: frozenset[str] = frozenset()

    def starts(self, scheduler_output: SchedulerOutputLike) -> list[StartedRequest]:
        """Record the opt-outs of the requests starting now; the starts to ship (those of
        captured requests), each with its tenant."""
        tenants: dict[str, str] = {}
        changed = False
        for req_id, args in vllm_compat.request_args(scheduler_output):
            control = parse_control(args, allow_opt_out=self._allow)
            if control.problem:
                self._log.warning(
                    "llm-monitor: request %r: vllm_xargs ignored: %s", req_id, control.problem
                )
            if not control.capture:
                self._opted[req_id] = None
                changed = True
            elif control.tenant:
                tenants[req_id] = control.tenant
        if changed:
            while len(self._opted) > MAX_OPTED_OUT:
                del self._opted[next(iter(self._opted))]
            self.opted_out = frozenset(self._opted)
        return [
            (req_id, prompt, tenants.get(req_id, ""))
            for req_id, prompt in vllm_compat.prompts_of(scheduler_output)
            if req_id not in self.opted_out
        ]

    def captured(self, request_ids: Iterable[str]) -> list[str]:
        """The ids among ``request_ids`` that did not opt out."""
        if not self.opted_out:
            return list(request_ids)
        return [r for r in request_ids if r not in self.opted_out]

    def finish(self, request_ids: Iterable[str]) -> list[str]:
        """Forget the opt-outs of requests that finished; the finished ids to ship (those
        of captured requests). Steps already queued keep their own snapshot."""
        ids = list(request_ids)
        if not self.opted_out:
            return ids
        kept = [r for r in ids if r not in self.opted_out]
        if len(kept) < len(ids):
            for r in ids:
                self._opted.pop(r, None)
            self.opted_out = frozenset(self._opted)
        return kept
