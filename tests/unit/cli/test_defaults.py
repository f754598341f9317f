"""Flags take their defaults from the settings dataclasses, never from a retyped literal."""

from __future__ import annotations

import argparse

import pytest

from monitor.bench.settings import EncoderBenchSettings, OverheadBenchSettings
from monitor.cli.flags import default_of
from monitor.cli.main import build_parser
from monitor.launch import VllmServerSettings
from monitor.model import DEFAULT_MODEL_NAME
from probes.encoder.settings import EncoderTrainSettings
from probes.encoder.settings import TrainSettings as EncoderHyperParameters
from probes.settings import EvalSettings, TrainSettings


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


def test_default_of_reads_plain_defaults_and_factories() -> None:
    assert default_of(VllmServerSettings, "port") == 8000
    assert default_of(VllmServerSettings, "extra_args") == []
    assert default_of(EncoderTrainSettings, "train") == EncoderHyperParameters()
    with pytest.raises(TypeError, match="no default"):
        default_of(VllmServerSettings, "model_dir")
    with pytest.raises(KeyError, match="no field 'nope'"):
        default_of(VllmServerSettings, "nope")


def test_train_flags() -> None:
    args = parse("train")
    assert tuple(args.concepts) == TrainSettings.concepts
    assert tuple(args.layers) == TrainSettings.layers
    assert args.reply_tokens == TrainSettings.reply_tokens
    assert args.compile is TrainSettings.compile
    assert args.limit is TrainSettings.limit
    assert args.model_name == DEFAULT_MODEL_NAME


def test_eval_flags() -> None:
    args = parse("eval", "--concept", "c", "--data", "f.jsonl")
    assert args.reply_tokens == EvalSettings.reply_tokens
    assert args.compile is EvalSettings.compile
    assert args.model_name == DEFAULT_MODEL_NAME


def test_encoder_train_flags() -> None:
    args = parse("encoder", "train")
    for name in ("layer", "prompts", "reply_tokens", "recollect", "ce_sequences"):
        assert getattr(args, name) == default_of(EncoderTrainSettings, name), name
    for name in ("m", "k", "recon_epochs", "kl_seconds", "kl_max_steps"):
        assert getattr(args, name) == getattr(EncoderHyperParameters, name), name


def test_bench_flags() -> None:
    args = parse("bench", "overhead")
    for name in ("requests", "tokens", "rounds", "enforce_eager"):
        assert getattr(args, name) == getattr(OverheadBenchSettings, name), name
    assert args.no_encoder is not OverheadBenchSettings.encoder
    args = parse("bench", "encoder")
    for name in ("batch_rows", "seconds", "threads"):
        assert getattr(args, name) == getattr(EncoderBenchSettings, name), name


def test_up_flags() -> None:
    args = parse("up")
    for name in ("host", "port", "layers", "kv_cache_gib", "enforce_eager"):
        assert getattr(args, name) == default_of(VllmServerSettings, name), name
