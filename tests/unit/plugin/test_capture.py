from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import torch
from torch import nn

from monitor.plugin import ops
from monitor.plugin.capture import UNWRITTEN, LayerCapture
from monitor.plugin.host_pool import HostBufferPool
from monitor.plugin.vllm_compat import find_decoder_layers, find_token_embedding

from .tiny import D_MODEL, N_LAYERS, TinyLlama, make_model, reference_residual

MAX_ROWS = 32


@pytest.fixture
def model() -> TinyLlama:
    return make_model()


@pytest.fixture
def capture(model: TinyLlama) -> Iterator[LayerCapture]:
    cap = LayerCapture(model, [1, 3], MAX_ROWS, D_MODEL, torch.float32, torch.device("cpu"))
    cap.install()
    cap.arm_all()
    yield cap
    cap.remove()


@pytest.fixture
def _reset_dynamo() -> Iterator[None]:
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def check_step(
    model: TinyLlama, cap: LayerCapture, ids: torch.Tensor, positions: torch.Tensor
) -> None:
    n = ids.shape[0]
    assert cap.rows_written() == n
    for layer in cap.layers:
        want = reference_residual(model, ids, positions, layer)
        torch.testing.assert_close(cap.act_sinks[layer][:n], want)
        assert cap.pos_sinks[layer][:n].tolist() == positions.tolist()
        assert (cap.pos_sinks[layer][n:] == UNWRITTEN).all()
    assert cap.token_sink[:n].tolist() == ids.tolist()
    assert (cap.token_sink[n:] == UNWRITTEN).all()


def test_eager_capture_holds_hidden_plus_residual_positions_and_ids(
    model: TinyLlama, capture: LayerCapture
) -> None:
    ids = torch.tensor([5, 9, 2, 7, 1, 3])
    positions = torch.tensor([10, 11, 12, 0, 1, 2])
    with torch.no_grad():
        model(ids, positions)
    check_step(model, capture, ids, positions)
    # hidden + residual, not either alone
    assert not torch.allclose(capture.act_sinks[1][:6], torch.zeros(6, D_MODEL))


def test_arm_resets_and_a_smaller_second_step_is_captured(
    model: TinyLlama, capture: LayerCapture
) -> None:
    with torch.no_grad():
        model(torch.arange(6), torch.arange(6))
    assert capture.rows_written() == 6
    capture.arm(6)
    assert capture.rows_written() == 0
    assert (capture.token_sink == UNWRITTEN).all()
    ids, positions = torch.tensor([4, 8]), torch.tensor([40, 41])
    with torch.no_grad():
        model(ids, positions)
    check_step(model, capture, ids, positions)


def test_stage_copies_into_the_lease_and_the_copies_outlive_the_sinks(
    model: TinyLlama, capture: LayerCapture
) -> None:
    ids, positions = torch.tensor([3, 1, 4]), torch.tensor([7, 8, 9])
    with torch.no_grad():
        model(ids, positions)
    pool = HostBufferPool(1 << 16)
    lease = pool.acquire(capture.staged_bytes(3))
    assert lease is not None
    staged = capture.stage(3, lease)
    assert staged.event is None  # on the CPU the copies are done already
    staged.wait()
    assert staged.layers == [1, 3]
    before = staged.activations[0].clone()
    capture.arm_all()
    capture.act_sinks[1].zero_()
    torch.testing.assert_close(staged.activations[0], before)
    torch.testing.assert_close(before, reference_residual(model, ids, positions, 1))
    torch.testing.assert_close(staged.activations[1], reference_residual(model, ids, positions, 3))
    for pos in staged.positions:
        assert pos.dtype == torch.int64 and pos.tolist() == [7, 8, 9]
    assert staged.token_ids.tolist() == [3, 1, 4]
    # every view lies inside the lease, none overlaps another
    base = pool.buffer.data_ptr() + lease.start
    spans = sorted(
        (t.data_ptr() - base, t.data_ptr() - base + t.numel() * t.element_size())
        for t in [*staged.activations, *staged.positions, staged.token_ids]
    )
    assert spans[0][0] >= 0 and spans[-1][1] <= lease.nbytes == capture.staged_bytes(3)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_stage_of_an_unwritten_step_shows_minus_one(
    model: TinyLlama, capture: LayerCapture
) -> None:
    capture.arm_all()
    lease = HostBufferPool(1 << 16).acquire(capture.staged_bytes(4))
    assert lease is not None
    staged = capture.stage(4, lease)
    assert all(pos.tolist() == [UNWRITTEN] * 4 for pos in staged.positions)
    assert staged.token_ids.tolist() == [UNWRITTEN] * 4


def test_more_tokens_than_sink_rows_fills_the_sink_without_error(
    model: TinyLlama, capture: LayerCapture
) -> None:
    n = MAX_ROWS + 8
    ids, positions = torch.arange(n) % 50, torch.arange(n)
    with torch.no_grad():
        model(ids, positions)
    assert capture.rows_written() == MAX_ROWS
    want = reference_residual(model, ids, positions, 1)[:MAX_ROWS]
    torch.testing.assert_close(capture.act_sinks[1], want)


def test_install_is_idempotent_and_remove_stops_capture(
    model: TinyLlama, capture: LayerCapture
) -> None:
    capture.install()
    assert len(model.model.layers[1]._forward_hooks) == 1
    assert len(model.model.embed_tokens._forward_pre_hooks) == 1
    capture.remove()
    assert len(model.model.layers[1]._forward_hooks) == 0
    with torch.no_grad():
        model(torch.arange(4), torch.arange(4))
    assert capture.rows_written() == 0


@pytest.mark.parametrize("layer", [N_LAYERS, -1, 100])
def test_out_of_range_layer_raises(model: TinyLlama, layer: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        LayerCapture(model, [layer], 8, D_MODEL, torch.float32, torch.device("cpu"))


def test_model_without_decoder_layers_is_refused() -> None:
    with pytest.raises(LookupError):
        find_decoder_layers(nn.Linear(2, 2))
    assert find_token_embedding(nn.Linear(2, 2)) is None
    model = make_model()
    assert find_decoder_layers(model) is model.model.layers
    assert find_token_embedding(model) is model.model.embed_tokens


def test_ops_write_only_the_first_rows() -> None:
    act_sink = torch.zeros(4, 2)
    pos_sink = torch.full((4,), UNWRITTEN)
    slot = ops.new_slot()
    ops.register_residual_sink(slot, act_sink, pos_sink)
    written = torch.zeros(1, dtype=torch.int64)
    hidden, residual = torch.ones(2, 2), torch.full((2, 2), 2.0)
    ops.capture_residual(hidden, residual, torch.tensor([[5, 6]]), written, slot)
    assert act_sink.tolist() == [[3.0, 3.0], [3.0, 3.0], [0.0, 0.0], [0.0, 0.0]]
    assert pos_sink.tolist() == [5, 6, UNWRITTEN, UNWRITTEN]
    assert written.item() == 2
    sink = torch.full((3,), UNWRITTEN)
    id_slot = ops.new_slot()
    ops.register_id_sink(id_slot, sink)
    ops.capture_ids(torch.tensor([9, 8, 7, 6]), written, id_slot)
    assert sink.tolist() == [9, 8, 7]
    assert written.item() == 3


@pytest.mark.usefixtures("_reset_dynamo")
def test_capture_fires_through_torch_compile(model: TinyLlama, capture: LayerCapture) -> None:
    compiled = torch.compile(model, fullgraph=False, backend="aot_eager")
    ids, positions = torch.tensor([5, 9, 2, 7, 1]), torch.tensor([0, 1, 2, 3, 4])
    with torch.inference_mode():
        compiled(ids, positions)
    check_step(model, capture, ids, positions)

    capture.arm(5)
    assert capture.rows_written() == 0
    ids, positions = torch.tensor([11, 12, 13]), torch.tensor([5, 6, 30])
    with torch.inference_mode():
        compiled(ids, positions)  # another batch size: recompiled, still captured
    check_step(model, capture, ids, positions)

    capture.arm(3)
    ids, positions = torch.tensor([1, 2, 3, 4, 5, 6, 7]), torch.arange(7) + 2
    with torch.inference_mode():
        compiled(ids, positions)
    check_step(model, capture, ids, positions)


@pytest.mark.usefixtures("_reset_dynamo")
def test_capture_ops_are_part_of_the_compiled_graph(
    model: TinyLlama, capture: LayerCapture
) -> None:
    graphs: list[str] = []

    def recording_backend(gm: torch.fx.GraphModule, example_inputs: list) -> object:
        graphs.append(str(gm.graph))
        return gm.forward

    compiled = torch.compile(model, fullgraph=True, backend=recording_backend)
    with torch.inference_mode():
        compiled(torch.tensor([1, 2, 3]), torch.tensor([0, 1, 2]))
    assert capture.rows_written() == 3
    text = "\n".join(graphs)
    assert text.count("llm_monitor.capture_residual") == 2  # layers 1 and 3
    assert text.count("llm_monitor.capture_ids") == 1
