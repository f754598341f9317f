"""Losses and the reconstruction training loop on small data with known answers."""

from __future__ import annotations

import math

import numpy as np
import torch

from probes.encoder.dataset import ActivationSet
from probes.encoder.losses import aux_k_loss, next_token_kl, normalized_mse
from probes.encoder.topk import EncoderConfig
from probes.encoder.train import DeadTracker, TrainSettings, train_reconstruction


def test_normalized_mse_is_zero_for_perfect_and_one_for_the_mean() -> None:
    x = torch.randn(32, 6)
    assert float(normalized_mse(x, x)) == 0.0
    mean = x.mean(dim=0, keepdim=True).expand_as(x)
    assert math.isclose(float(normalized_mse(x, mean)), 1.0, rel_tol=1e-5)


def test_kl_of_identical_logits_is_zero() -> None:
    logits = torch.randn(2, 3, 11)
    assert abs(float(next_token_kl(logits, logits, torch.ones(2, 3, dtype=torch.bool)))) < 1e-6


def test_kl_matches_a_hand_computed_value_and_respects_the_mask() -> None:
    p = torch.log(torch.tensor([0.5, 0.5]))
    q = torch.log(torch.tensor([0.25, 0.75]))
    teacher = torch.stack([p, p])[None]  # [1, 2, 2]
    student = torch.stack([q, p])[None]
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    only_first = torch.tensor([[True, False]])
    assert math.isclose(float(next_token_kl(teacher, student, only_first)), expected, rel_tol=1e-5)
    both = torch.ones(1, 2, dtype=torch.bool)
    assert math.isclose(float(next_token_kl(teacher, student, both)), expected / 2, rel_tol=1e-5)


def test_aux_loss_is_zero_without_dead_concepts() -> None:
    pre = torch.randn(4, 8)
    dead = torch.zeros(8, dtype=torch.bool)
    assert float(aux_k_loss(pre, torch.randn(4, 3), torch.randn(8, 3), dead, 2)) == 0.0


def test_aux_loss_uses_only_dead_concepts() -> None:
    # the residual is 2 * e_0; dead concept 1 decodes to e_0, live concept 0 to e_1
    residual = torch.tensor([[2.0, 0.0], [4.0, 0.0], [0.0, 0.0]])
    W_dec = torch.tensor([[0.0, 1.0], [1.0, 0.0]], requires_grad=True)
    pre = torch.tensor([[9.0, 2.0], [9.0, 4.0], [9.0, 0.0]], requires_grad=True)
    dead = torch.tensor([False, True])
    loss = aux_k_loss(pre, residual, W_dec, dead, k_aux=1)
    assert float(loss.detach()) < 1e-10  # dead concept 1 explains the residual exactly
    worse = aux_k_loss(pre.detach() * torch.tensor([1.0, 0.5]), residual, W_dec, dead, 1)
    # half of each residual missed: errors 1 + 4 + 0 over the centred variance 0 + 4 + 4
    assert math.isclose(float(worse.detach()), 5 / 8, rel_tol=1e-5)
    worse_pre = (pre * torch.tensor([1.0, 0.5])).requires_grad_()
    aux_k_loss(worse_pre, residual, W_dec, dead, 1).backward()
    assert pre.grad is not None and float(pre.grad[:, 0].abs().sum()) == 0.0
    assert float(pre.grad[:, 1].abs().sum()) > 0.0


def test_dead_tracker_counts_tokens_since_last_fire() -> None:
    tracker = DeadTracker.new(4, threshold=10)
    tracker.update(torch.tensor([[0, 1]]), torch.tensor([[1.0, 0.0]]), rows=6)
    tracker.update(torch.tensor([[2, 0]]), torch.tensor([[2.0, 1.0]]), rows=5)
    assert tracker.since.tolist() == [0, 11, 0, 11]
    assert tracker.dead.tolist() == [False, True, False, True]


def test_reconstruction_training_learns_a_sparse_dictionary(rng: np.random.Generator) -> None:
    d, m_true, k_true, n = 16, 24, 2, 6000
    dictionary = rng.normal(size=(m_true, d))
    dictionary /= np.linalg.norm(dictionary, axis=1, keepdims=True)
    codes = np.zeros((n, m_true))
    for row in codes:
        row[rng.choice(m_true, k_true, replace=False)] = rng.uniform(1, 3, k_true)
    acts = (codes @ dictionary + 5.0).astype(np.float16)
    data = ActivationSet(
        layer=0,
        tokens=np.zeros(n, np.int32),
        activations=acts,
        offsets=np.array([0, n], np.int64),
        meta=[{"source": "corpus", "split": "train"}],
    )
    config = EncoderConfig(d_model=d, m=48, k=4, layer=0, model_name="t")
    settings = TrainSettings(m=48, k=4, k_aux=8, batch_tokens=256, recon_epochs=30, lr=3e-3)
    encoder, history = train_reconstruction(data, [0], config, settings)
    assert history[0]["nmse"] > 0.3
    x = torch.from_numpy(acts[:1000].astype(np.float32))
    with torch.no_grad():
        assert float(normalized_mse(x, encoder(x))) < 0.05
