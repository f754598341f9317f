"""Independent hidden states from transformers, for comparing with captured rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class Reference:
    """The model in transformers, fp32 on CPU; returns the residual stream after a layer."""

    def __init__(self, model_dir: Path, layer: int) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.torch = torch
        self.layer = layer
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        self.model = AutoModelForCausalLM.from_pretrained(
            model_dir, dtype=torch.float32, local_files_only=True
        ).eval()

    def prompt_ids(self, content: str) -> list[int]:
        """Token ids of a one-turn chat prompt, as vLLM's chat endpoint builds it."""
        ids = self.tokenizer.apply_chat_template(
            [{"role": "user", "content": content}], add_generation_prompt=True, tokenize=True
        )
        if isinstance(ids, dict) or hasattr(ids, "input_ids"):
            ids = ids["input_ids"]
        return list(ids)

    def hidden(self, token_ids: list[int]) -> np.ndarray:
        """[len(token_ids), d_model]: output of decoder layer ``layer`` (0-based)."""
        with self.torch.no_grad():
            out = self.model(
                self.torch.tensor([token_ids]), output_hidden_states=True, use_cache=False
            )
        # hidden_states[0] is the embedding output; [i + 1] is decoder layer i's output.
        return out.hidden_states[self.layer + 1][0].float().numpy()


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity."""
    num = (a * b).sum(axis=1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12
    return num / den
