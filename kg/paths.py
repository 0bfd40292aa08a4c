"""Where things live: the vendored data snapshot and the per-user cache (graph, models, index)."""

import os
from pathlib import Path


def data_dir() -> Path:
    """The vendored real data (`data/` of the repository), or GENEVERSE_DATA."""
    return Path(os.environ.get("GENEVERSE_DATA", Path(__file__).resolve().parents[1] / "data"))


def home() -> Path:
    """Cache folder for built artefacts: GENEVERSE_HOME, default ~/.cache/geneverse."""
    return Path(os.environ.get("GENEVERSE_HOME", Path.home() / ".cache" / "geneverse"))


def graph_dir(root: Path | None = None) -> Path:
    return (root or home()) / "graph"


def models_dir() -> Path:
    """Converted model weights: GENEVERSE_MODELS, default ~/.cache/geneverse/models.

    Not under `home()`: throwaway homes (tests, withheld-summary evaluations) reuse converted models."""
    return Path(os.environ.get("GENEVERSE_MODELS", Path.home() / ".cache" / "geneverse" / "models"))
