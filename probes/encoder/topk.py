"""The TopK concept encoder (inference): z = TopK(W_enc ((a - b_pre) * s) + b_enc).

``a`` is one token's residual stream ``[d_model]``; ``s`` a fixed input scale (chosen at
initialisation so that scaled activations have unit mean squared entry); the ``k``
largest pre-activations of the ``m`` concepts are kept (then ReLU), the rest are zero.
The decoder maps concepts back: a_hat = (z W_dec) / s + b_pre.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor, nn

from monitor.artifacts.encoder_format import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    EncoderConfig,
    read_encoder_config,
    write_encoder_config,
)

__all__ = ["EncoderConfig", "TopKEncoder"]


class TopKEncoder(nn.Module):
    """Sparse concept bottleneck with ``k`` of ``m`` concepts active per token."""

    scale: Tensor  # buffer: the fixed input scale s

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        d, m = config.d_model, config.m
        self.W_enc = nn.Parameter(torch.empty(d, m))
        self.b_enc = nn.Parameter(torch.zeros(m))
        self.W_dec = nn.Parameter(torch.empty(m, d))
        self.b_pre = nn.Parameter(torch.zeros(d))
        self.register_buffer("scale", torch.ones(()))
        with torch.no_grad():
            w = torch.randn(m, d)
            self.W_dec.copy_(w / w.norm(dim=1, keepdim=True))
            self.W_enc.copy_(self.W_dec.T)

    @property
    def k(self) -> int:
        return self.config.k

    def pre_activations(self, a: Tensor) -> Tensor:
        """``[rows, m]`` pre-activations of every concept."""
        return ((a - self.b_pre) * self.scale) @ self.W_enc + self.b_enc

    def top_k(self, a: Tensor) -> tuple[Tensor, Tensor]:
        """``(values [rows, k], ids [rows, k])``, largest first, ReLU applied."""
        values, ids = torch.topk(self.pre_activations(a), self.k, dim=-1, sorted=True)
        return torch.relu(values), ids

    def encode(self, a: Tensor) -> Tensor:
        """Dense sparse code ``[rows, m]`` (zeros except the top k)."""
        values, ids = self.top_k(a)
        return torch.zeros(a.shape[0], self.config.m, dtype=a.dtype).scatter(-1, ids, values)

    def decode(self, z: Tensor) -> Tensor:
        """Reconstruction ``[rows, d_model]`` of a dense code ``[rows, m]``."""
        return (z @ self.W_dec) / self.scale + self.b_pre

    def forward(self, a: Tensor) -> Tensor:
        """Reconstruction of ``a`` through the bottleneck."""
        return self.decode(self.encode(a))

    @torch.no_grad()
    def normalize_decoder(self) -> None:
        """Unit-norm decoder rows (the encoder absorbs the scale); keeps codes comparable."""
        norms = self.W_dec.norm(dim=1, keepdim=True).clamp_min(1e-8)
        self.W_dec.div_(norms)
        self.W_enc.mul_(norms.T)
        self.b_enc.mul_(norms.squeeze(1))

    def save(self, directory: Path) -> None:
        """The training checkpoint: ``encoder.pt`` (state dict) and ``encoder-config.json``
        in ``directory`` (names and config format: ``monitor.artifacts.encoder_format``)."""
        directory.mkdir(parents=True, exist_ok=True)
        torch.save(self.state_dict(), directory / WEIGHTS_FILE)
        write_encoder_config(directory / CONFIG_FILE, self.config)

    @classmethod
    def load(cls, directory: Path) -> TopKEncoder:
        """The checkpoint ``save`` wrote, in eval mode."""
        encoder = cls(read_encoder_config(directory / CONFIG_FILE))
        encoder.load_state_dict(torch.load(directory / WEIGHTS_FILE, weights_only=True))
        return encoder.eval()
