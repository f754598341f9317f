"""The TopK encoder on hand-built weights with known answers."""

from __future__ import annotations

import pytest
import torch

from probes.encoder.topk import EncoderConfig, TopKEncoder


def signed_basis(d: int, k: int) -> TopKEncoder:
    """m = 2d concepts: +e_i then -e_i, decoder = encoder transpose, no bias."""
    enc = TopKEncoder(EncoderConfig(d_model=d, m=2 * d, k=k, layer=0, model_name="t"))
    eye = torch.eye(d)
    with torch.no_grad():
        enc.W_enc.copy_(torch.cat([eye, -eye], dim=1))
        enc.W_dec.copy_(enc.W_enc.T)
        enc.b_enc.zero_()
        enc.b_pre.zero_()
    return enc


def test_top_k_picks_the_largest_pre_activations_in_order() -> None:
    enc = signed_basis(4, k=2)
    values, ids = enc.top_k(torch.tensor([[3.0, -1.0, 0.5, 0.0]]))
    # pre-activations: [3, -1, 0.5, 0, -3, 1, -0.5, 0] -> concept 0 (3.0), concept 5 (1.0)
    assert ids.tolist() == [[0, 5]]
    assert values.tolist() == [[3.0, 1.0]]


def test_values_are_relu_of_the_pre_activations() -> None:
    enc = signed_basis(2, k=4)
    values, ids = enc.top_k(torch.tensor([[2.0, 0.0]]))
    assert ids[0, 0] == 0 and values[0, 0] == 2.0
    assert (values >= 0).all() and values[0, 1:].tolist() == [0.0, 0.0, 0.0]


def test_k_equal_d_reconstructs_exactly() -> None:
    enc = signed_basis(4, k=4)
    x = torch.tensor([[3.0, -1.0, 0.5, 2.0], [-0.25, 4.0, -3.0, 1.5]])
    assert torch.allclose(enc(x), x)


def test_input_scale_and_b_pre_are_undone_by_the_decoder() -> None:
    enc = signed_basis(3, k=3)
    x = torch.tensor([[1.0, -2.0, 0.5]])
    offset = torch.tensor([10.0, -5.0, 2.0])
    with torch.no_grad():
        enc.b_pre.copy_(offset)
        enc.scale.fill_(0.25)
    values, ids = enc.top_k(x / 0.25 + offset)
    assert ids.tolist() == [[4, 0, 2]] and torch.allclose(values, torch.tensor([[2.0, 1.0, 0.5]]))
    assert torch.allclose(enc(x / 0.25 + offset), x / 0.25 + offset)


def test_encode_is_dense_with_k_nonzeros() -> None:
    enc = TopKEncoder(EncoderConfig(d_model=16, m=64, k=5, layer=0, model_name="t"))
    z = enc.encode(torch.randn(7, 16) + 3.0)
    assert z.shape == (7, 64)
    assert ((z != 0).sum(dim=1) <= 5).all()


def test_normalize_decoder_keeps_the_function_and_makes_rows_unit() -> None:
    enc = TopKEncoder(EncoderConfig(d_model=8, m=12, k=12, layer=0, model_name="t"))
    with torch.no_grad():
        enc.W_dec.mul_(torch.rand(12, 1) * 3 + 0.1)
        enc.b_enc.copy_(torch.rand(12) + 1.0)  # all positive: ReLU keeps everything
    x = torch.randn(5, 8) * 0.01
    before = enc(x)
    enc.normalize_decoder()
    assert torch.allclose(enc.W_dec.norm(dim=1), torch.ones(12), atol=1e-6)
    assert torch.allclose(enc(x), before, atol=1e-5)


def test_save_and_load_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    enc = TopKEncoder(EncoderConfig(d_model=8, m=16, k=3, layer=7, model_name="m"))
    enc.save(tmp_path)
    back = TopKEncoder.load(tmp_path)
    x = torch.randn(4, 8)
    assert back.config == enc.config
    assert torch.equal(back(x), enc(x))


@pytest.mark.parametrize(("m", "k", "d"), [(4, 0, 2), (4, 5, 2), (4, 2, 0)])
def test_bad_shapes_are_rejected(m: int, k: int, d: int) -> None:
    with pytest.raises(ValueError, match=r"k|d_model"):
        EncoderConfig(d_model=d, m=m, k=k, layer=0, model_name="t")
