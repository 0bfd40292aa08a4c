"""Enformer (enformer-pytorch): real weights from a local folder, or a random model of any size.

The configuration is a plain object kept apart from the model, so the same code runs the
converted official checkpoint, the full-size architecture with random weights (benchmarks) and a
tiny random model (tests).
"""

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import torch
from pydantic import BaseModel, Field

from tools.tracks.errors import ModelNotConfigured, WeightsError

WEIGHTS_ENV = "GENEVERSE_ENFORMER_WEIGHTS"
HUMAN_TRACKS = 5313
SEQUENCE_LENGTH = 196_608
TARGET_LENGTH = 896


class ModelConfig(BaseModel):
    weights: str | None = Field(
        None, description="local folder of a converted Enformer checkpoint (config.json + weights); None = random"
    )
    dim: int = 1536
    depth: int = 11
    heads: int = 8
    attn_dim_key: int = 64
    dim_divisible_by: int = 128
    num_tracks: int = HUMAN_TRACKS
    sequence_length: int = SEQUENCE_LENGTH
    target_length: int = TARGET_LENGTH
    seed: int = 0
    device: str = Field("auto", description="'auto' (cuda when present), 'cpu', 'cuda', 'cuda:1', ...")
    precision: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="auto: bfloat16 autocast on GPU, float32 on CPU"
    )
    batch_size: int = 4

    @classmethod
    def tiny(cls, **overrides) -> "ModelConfig":
        """A small random Enformer with the real 128 bp bins and 5,313 human outputs, for tests."""
        values = {"dim": 48, "depth": 1, "heads": 2, "attn_dim_key": 16, "dim_divisible_by": 8,
                  "sequence_length": 16_384, "target_length": 64}
        return cls(**(values | overrides))

    @classmethod
    def from_env(cls, weights: str | None = None, **overrides) -> "ModelConfig":
        """Real weights from `weights` or GENEVERSE_ENFORMER_WEIGHTS; raises when neither is set."""
        weights = weights or os.environ.get(WEIGHTS_ENV)
        if not weights:
            raise ModelNotConfigured(
                "no Enformer weights configured: download the converted checkpoint "
                "EleutherAI/enformer-official-rough into a local folder and pass --weights DIR "
                f"or set {WEIGHTS_ENV}=DIR"
            )
        return cls(weights=weights, **overrides)


@dataclass
class LoadedEnformer:
    """An Enformer in eval mode with what callers need to know about its geometry."""

    model: torch.nn.Module
    config: ModelConfig
    name: str

    @property
    def bin_size(self) -> int:
        return 2 ** self.model.config.num_downsamples

    @property
    def sequence_length(self) -> int:
        return self.config.sequence_length

    @property
    def target_length(self) -> int:
        return self.config.target_length

    @property
    def num_tracks(self) -> int:
        return self.model.config.output_heads["human"]

    @cached_property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        precision = self.config.precision
        if precision == "bfloat16" or (precision == "auto" and self.device.type == "cuda"):
            return torch.bfloat16
        return None


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _use_tf_gamma(model: torch.nn.Module, sequence_length: int) -> None:
    # The official weights were trained with TensorFlow's gamma positional features; enformer-pytorch
    # ships them precomputed for the full architecture (1,536 positions, 192 features per head) only.
    from enformer_pytorch.modeling_enformer import Attention

    config = model.config
    positions = sequence_length // 2**config.num_downsamples
    enabled = positions == 1536 and config.dim // config.heads == 192
    for module in model.modules():
        if isinstance(module, Attention):
            module.use_tf_gamma = enabled


def load_enformer(config: ModelConfig) -> LoadedEnformer:
    """Enformer in eval mode on the configured device; real weights when `config.weights` is set."""
    from enformer_pytorch import Enformer

    if config.weights:
        folder = Path(config.weights).expanduser()
        if not (folder / "config.json").is_file():
            raise WeightsError(
                f"{folder} is not an Enformer checkpoint folder (no config.json); it should hold the files of "
                "EleutherAI/enformer-official-rough (config.json and pytorch_model.bin)"
            )
        try:
            model = Enformer.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError, RuntimeError) as err:
            raise WeightsError(f"cannot load Enformer weights from {folder}: {err}") from err
        if model.config.output_heads.get("human") != HUMAN_TRACKS:
            raise WeightsError(f"{folder} has no human head of {HUMAN_TRACKS} tracks")
        config = config.model_copy(update={"target_length": model.config.target_length})
        _use_tf_gamma(model, config.sequence_length)
        name = f"Enformer ({folder.name})"
    else:
        torch.manual_seed(config.seed)
        model = Enformer.from_hparams(
            dim=config.dim, depth=config.depth, heads=config.heads, attn_dim_key=config.attn_dim_key,
            dim_divisible_by=config.dim_divisible_by, output_heads={"human": config.num_tracks},
            target_length=config.target_length,
        )
        name = f"Enformer random weights (dim {config.dim}, depth {config.depth}, seed {config.seed})"
    positions = config.sequence_length / 2 ** model.config.num_downsamples
    if positions != int(positions) or positions < config.target_length:
        raise WeightsError(
            f"sequence length {config.sequence_length:,} bp does not fit the model: it must be a multiple of "
            f"{2 ** model.config.num_downsamples} bp covering at least {config.target_length} output bins"
        )
    model.eval().to(_device(config.device))
    return LoadedEnformer(model=model, config=config, name=name)
