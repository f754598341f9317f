"""Check on a CUDA device that the capture neither holds device memory nor syncs the host.

Runs the plugin's capture on a small Llama-shaped model (random weights, no vLLM) with a
shipper that takes one step and then hangs, as a shipper stuck on a dead connection
would, and checks, over ``--steps`` steps of varied sizes:

* ``torch.cuda.memory_allocated()`` stays flat (within ``--tolerance-mib``) while the
  ring and the host pool fill and later steps are dropped and counted;
* the step path does not wait for the device: with the GPU kept busy for ``--busy-ms``
  after a forward pass, the plugin's ``after_step`` returns well before the GPU is done;
* the rows that were kept arrive intact: once the shipper wakes up, each queued step's
  activations, positions and token ids equal a hook-free recomputation.

Prints what it measured and exits 0 when every check holds, 1 otherwise. Without a CUDA
device it prints a line saying so and exits 0 (``--device cpu`` runs the same logic on
the CPU, without the device-memory and timing checks).

    .venv/bin/python scripts/gpu_stall_check.py [--steps 200] [--d-model 2048]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.plugin import worker as worker_mod
from monitor.plugin.batch import CapturedBatch
from monitor.plugin.outbox import Outbox
from monitor.plugin.settings import PluginSettings
from monitor.plugin.worker import WorkerMonitor

VOCAB = 1000
N_LAYERS = 4
LAYERS = [1, 2]


class Layer(nn.Module):
    """``forward(positions, hidden, residual) -> (hidden, residual)`` like vLLM's Llama."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.proj = nn.Linear(d_model, d_model)

    def forward(
        self, positions: torch.Tensor, hidden: torch.Tensor, residual: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        residual = hidden if residual is None else hidden + residual
        pos = positions.to(residual.dtype).unsqueeze(-1) * 0.001
        return torch.tanh(self.proj(residual)) + pos, residual


class Inner(nn.Module):
    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(VOCAB, d_model)
        self.layers = nn.ModuleList(Layer(d_model) for _ in range(N_LAYERS))


class Model(nn.Module):
    """Holds ``.model.embed_tokens`` and ``.model.layers`` like vLLM's LlamaForCausalLM."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.model = Inner(d_model)

    def forward(self, ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        hidden, residual = self.model.embed_tokens(ids), None
        for layer in self.model.layers:
            hidden, residual = layer(positions, hidden, residual)
        assert residual is not None
        return hidden + residual


@torch.no_grad()
def reference(model: Model, ids: torch.Tensor, positions: torch.Tensor, at: int) -> torch.Tensor:
    """hidden + residual after decoder layer ``at``, without hooks."""
    hidden, residual = model.model.embed_tokens(ids), None
    for i, layer in enumerate(model.model.layers):
        hidden, residual = Layer.forward(layer, positions, hidden, residual)  # type: ignore[arg-type]
        if i == at:
            return hidden + residual
    raise IndexError(at)


class Worker:
    """The attributes of a vLLM worker the plugin reads; ``execute_model`` runs one step."""

    def __init__(self, model: Model, d_model: int, max_tokens: int, device: torch.device):
        self.device = device
        self.model = model
        self.model_runner = SimpleNamespace(
            max_num_tokens=max_tokens,
            device=device,
            input_batch=SimpleNamespace(req_ids=[]),
            get_model=lambda: model,
            _dummy_run=lambda n: model(
                torch.zeros(n, dtype=torch.long, device=device), torch.arange(n, device=device)
            ),
        )
        self.vllm_config = SimpleNamespace(
            model_config=SimpleNamespace(
                served_model_name="stall-check",
                model="stall-check",
                hf_config=SimpleNamespace(num_hidden_layers=N_LAYERS),
                get_hidden_size=lambda: d_model,
                dtype=next(model.parameters()).dtype,
            ),
            additional_config={},
        )
        self.inputs: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.busy_cycles = 0

    def execute_model(self, out: Any) -> None:
        (req,) = out.num_scheduled_tokens
        n = out.num_scheduled_tokens[req]
        gen = torch.Generator().manual_seed(len(self.inputs))
        ids = torch.randint(0, VOCAB, (n,), generator=gen).to(self.device)
        positions = torch.arange(n, device=self.device)
        self.inputs[req] = (ids, positions)
        with torch.inference_mode():
            self.model(ids, positions)
        if self.busy_cycles and self.device.type == "cuda":
            torch.cuda._sleep(self.busy_cycles)  # keep the GPU busy after the forward


def cycles_per_ms() -> float:
    """GPU clock cycles per millisecond, measured with ``torch.cuda._sleep``."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    torch.cuda._sleep(10**7)
    end.record()
    end.synchronize()
    return 10**7 / max(start.elapsed_time(end), 1e-3)


def scheduler_output(req: str, n: int) -> SimpleNamespace:
    return SimpleNamespace(
        total_num_scheduled_tokens=n,
        num_scheduled_tokens={req: n},
        scheduled_new_reqs=[
            SimpleNamespace(req_id=req, num_computed_tokens=0, prompt_token_ids=[1])
        ],
        scheduled_cached_reqs=SimpleNamespace(req_ids=[], num_computed_tokens=[]),
        finished_req_ids=set(),
    )


class StalledShipper:
    """Takes the first queued step and then hangs, holding it, until ``wake`` is set."""

    instance: StalledShipper | None = None

    def __init__(self, ring: Any, drops: Any, address: str, **kwargs: Any) -> None:
        self.ring = ring
        self.wake = threading.Event()
        self.held: Any = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        StalledShipper.instance = self

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self.wake.set()

    def _run(self) -> None:
        while self.held is None and not self.wake.is_set():
            self.held = self.ring.get(timeout=0.05)
        self.wake.wait()


def check(args: argparse.Namespace) -> list[str]:
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    dtype = torch.bfloat16 if cuda else torch.float32
    torch.manual_seed(0)
    model = Model(args.d_model).to(device=device, dtype=dtype).eval()
    worker = Worker(model, args.d_model, args.tokens, device)
    worker_mod.Shipper = StalledShipper  # type: ignore[assignment,misc]
    pool_bytes = None if args.pool_mib is None else args.pool_mib << 20
    mon = WorkerMonitor(
        PluginSettings(
            enabled=True,
            sidecar_address="127.0.0.1:1",
            layers=LAYERS,
            host_pool_bytes=pool_bytes,
        )
    )
    mon.attach(worker)
    mon.self_test(worker)
    failures: list[str] = []
    if not mon.capture_ok or mon.capture is None or mon.pool is None:
        return [f"capture did not start: {mon.capture_error}"]
    print(
        f"device {device}, d_model {args.d_model}, {args.tokens} tokens per full step, "
        f"layers {LAYERS}, host pool {mon.pool.capacity >> 20} MiB "
        f"({'pinned' if mon.pool.pinned else 'pageable'})"
    )
    if cuda and not mon.pool.pinned:
        failures.append("the host pool is not pinned on a CUDA device")

    def run(i: int, n: int) -> float:
        req = f"r{i}"
        worker.model_runner.input_batch.req_ids = [req]
        out = scheduler_output(req, n)
        n = mon.before_step(out)
        worker.execute_model(out)
        t0 = time.perf_counter()
        mon.after_step(worker, out, n)
        return time.perf_counter() - t0

    for i in range(3):
        run(-1 - i, args.tokens)
    if cuda:
        torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated() if cuda else 0
    peak = baseline
    sizes = [args.tokens, 1, args.tokens // 2, 7, args.tokens // 8]
    after_step_s = []
    for i in range(args.steps):
        after_step_s.append(run(i, sizes[i % len(sizes)]))
        if cuda:
            torch.cuda.synchronize()
            peak = max(peak, torch.cuda.memory_allocated())
        if mon.pool.used_bytes > mon.pool.capacity:
            failures.append(f"host pool over its bound at step {i}")
    grew = (peak - baseline) / 2**20
    drops = mon.drops.snapshot()
    after_step_s.sort()
    print(
        f"{args.steps} steps with the shipper stalled: device memory grew {grew:.2f} MiB; "
        f"ring holds {len(mon.ring)} steps ({mon.ring.nbytes >> 10} KiB); host pool "
        f"{mon.pool.used_bytes >> 10} KiB used; dropped {drops}; after_step median "
        f"{after_step_s[len(after_step_s) // 2] * 1e3:.3f} ms, max {after_step_s[-1] * 1e3:.3f} ms"
    )
    if cuda and grew > args.tolerance_mib:
        failures.append(f"device memory grew by {grew:.2f} MiB with the shipper stalled")
    if not drops:
        failures.append("nothing was dropped although the shipper was stalled")

    if cuda:  # the step path must not wait for the device
        worker.busy_cycles = int(args.busy_ms * cycles_per_ms())
        shipper = StalledShipper.instance
        assert shipper is not None
        if shipper.held is not None:  # make room for one step: still stalled, holding none
            shipper.held.release()
            shipper.held = None
        for stale in mon.ring.drain("check"):
            stale.release()
        t0 = time.perf_counter()
        host_s = run(10**6, args.tokens)
        busy_wall = time.perf_counter() - t0
        torch.cuda.synchronize()
        gpu_wall = time.perf_counter() - t0
        worker.busy_cycles = 0
        if len(mon.ring) != 1:
            failures.append("the timed step was not queued, so its timing proves nothing")
        print(
            f"after_step with the GPU busy for ~{args.busy_ms} ms: {host_s * 1e3:.3f} ms "
            f"(host returned at {busy_wall * 1e3:.1f} ms, GPU done at {gpu_wall * 1e3:.1f} ms)"
        )
        if host_s > gpu_wall / 4:
            failures.append(f"after_step took {host_s * 1e3:.1f} ms: it waited for the device")
        for stale in mon.ring.drain("check"):
            stale.release()

    # wake up: what is kept from now on arrives intact
    shipper = StalledShipper.instance
    assert shipper is not None
    if shipper.held is not None:
        shipper.held.release()
    shipper.wake.set()
    for stale in mon.ring.drain("check"):
        stale.release()
    kept: list[CapturedBatch] = []
    outbox = Outbox(mon.drops)
    for i in range(6):
        run(2 * 10**6 + i, sizes[i % len(sizes)])
        while (item := mon.ring.get(timeout=0)) is not None:
            try:
                kept += [
                    dataclasses.replace(b, activations=b.activations.clone())
                    for b in outbox.unpack(item)
                ]
            finally:
                item.release()
    if len(kept) != 6 * len(LAYERS):
        failures.append(f"{len(kept)} batches came out of 6 steps, not {6 * len(LAYERS)}")
    for batch in kept:
        ids, positions = worker.inputs[batch.request_ids[0]]
        want = reference(model, ids, positions, batch.layer).cpu()
        diff = (batch.activations.float() - want.float()).abs().max().item()
        if diff > 1e-2:  # a torn or stale copy is far off; kernels may differ in the last bit
            failures.append(
                f"layer {batch.layer} rows of {batch.request_ids[0]} differ by {diff:.3g}"
            )
        if (
            batch.positions.tolist() != positions.tolist()
            or batch.token_ids.tolist() != ids.tolist()
        ):
            failures.append(f"labels of {batch.request_ids[0]} differ")
    print(f"{len(kept)} batches checked after the shipper woke up")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--d-model", type=int, default=2048)
    parser.add_argument("--tokens", type=int, default=2048, help="tokens of a full step")
    parser.add_argument("--busy-ms", type=float, default=200.0)
    parser.add_argument("--tolerance-mib", type=float, default=1.0)
    parser.add_argument(
        "--pool-mib", type=int, default=None, help="host pool size (default: the plugin's)"
    )
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("SKIP: no CUDA device; nothing checked")
        return 0
    failures = check(args)
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print("OK")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
