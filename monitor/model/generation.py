"""The generation check: greedy decoding on the CPU must answer "Paris".

A converted model that loads but talks nonsense would pass every file check; one known
answer catches a broken dequantization before the model is served.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from monitor.model.hf import dtype_kwarg, offline
from monitor.model.settings import ModelError

log = logging.getLogger("monitor.model")

CHECK_PROMPT = "What is the capital of France?"
CHECK_EXPECTED = "Paris"
CHECK_MAX_NEW_TOKENS = 20


def check_record(answer: str) -> dict[str, Any]:
    """The marker's ``check`` entry for a passed check."""
    return {
        "passed": True,
        "prompt": CHECK_PROMPT,
        "answer": answer,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _generate_answer(model_dir: Path, prompt: str, max_new_tokens: int) -> str:
    """Greedy chat completion of ``prompt`` with transformers on the CPU."""
    with offline():
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
        if not getattr(tokenizer, "chat_template", None):
            raise ModelError(f"the tokenizer in {model_dir} has no chat template")
        model: Any = AutoModelForCausalLM.from_pretrained(
            str(model_dir), local_files_only=True, **{dtype_kwarg(): torch.bfloat16}
        )
        model.to("cpu")
        model.eval()
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
        )
        inputs = tokenizer(text, return_tensors="pt", add_special_tokens=False)
        pad_id = tokenizer.pad_token_id
        if pad_id is None:
            pad_id = tokenizer.eos_token_id
        with torch.inference_mode():
            output = model.generate(
                **inputs,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                pad_token_id=pad_id,
            )
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        return str(tokenizer.decode(new_tokens, skip_special_tokens=True)).strip()


def check(model_dir: Path, *, max_new_tokens: int = CHECK_MAX_NEW_TOKENS) -> str:
    """Ask the model the capital of France (greedy, CPU); return its answer.

    Raises ModelError unless the answer contains "Paris".
    """
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise ModelError(f"no model in {model_dir} (config.json missing)")
    started = time.monotonic()
    answer = _generate_answer(model_dir, CHECK_PROMPT, max_new_tokens)
    if CHECK_EXPECTED not in answer:
        raise ModelError(
            f"model check failed for {model_dir}: asked {CHECK_PROMPT!r}, expected an answer "
            f"containing {CHECK_EXPECTED!r}, got {answer!r}. The conversion is probably "
            f"broken; run `llm-monitor model prepare --force` to rebuild it"
        )
    log.info("check passed in %.1f s: %r", time.monotonic() - started, answer)
    return answer
