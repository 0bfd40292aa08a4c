"""Intent: which tool a question asks for, learned from labelled exemplars over the packaged MiniLM sentence
embeddings. Questions are compared with their linked entities masked (GENE, ID, DISEASE, BAND, REGION), so
that the wording, not the gene, decides. The score of a route is the mean cosine similarity of its nearest
exemplars; below `threshold` the question is not understood well enough to act on."""

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from rapidfuzz import fuzz, process

from agent.encoder import MiniLMEncoder, packaged_encoder
from kg.paths import models_dir

EXEMPLARS = Path(__file__).with_name("intent_exemplars.tsv")
# Calibrated on the exemplars: leaving each one out, 98% of them still score above it for their best route,
# while questions outside the domain ('What is the weather today?', 'Tell me a joke') score under 0.26.
THRESHOLD = 0.45
NEAREST = 3
MAX_CHARS = 1000
_WORD = re.compile(r"[A-Za-z]+")


class IntentScore(BaseModel):
    route: str
    score: float


def load_exemplars(path: Path = EXEMPLARS) -> list[tuple[str, str]]:
    """(route, text) pairs; '#' lines are comments."""
    pairs = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            route, text = line.split("\t", 1)
            pairs.append((route.strip(), text.strip()))
    return pairs


@lru_cache(maxsize=2)
def exemplar_words(path: Path = EXEMPLARS) -> frozenset[str]:
    """The words of the exemplars (of four letters or more), lower-cased, without loading the model."""
    return frozenset(w.lower() for _, text in load_exemplars(path) for w in _WORD.findall(text) if len(w) >= 4)


class IntentModel:
    """Nearest-exemplar classifier: embeddings of the exemplars are computed once and cached on disk."""

    def __init__(self, exemplars: list[tuple[str, str]], encoder: MiniLMEncoder | None = None):
        self.encoder = encoder or packaged_encoder()
        self.routes = [route for route, _ in exemplars]
        self.labels = sorted(set(self.routes))
        self.vectors = self._exemplar_vectors([text for _, text in exemplars])
        self.words = sorted({w.lower() for _, text in exemplars for w in _WORD.findall(text) if len(w) >= 4})
        self.members = {label: np.array([i for i, r in enumerate(self.routes) if r == label]) for label in self.labels}

    def _exemplar_vectors(self, texts: list[str]) -> np.ndarray:
        digest = hashlib.sha256("\n".join([self.encoder.folder, *texts]).encode()).hexdigest()[:16]
        cache = models_dir() / "intent" / f"{digest}.npy"
        if cache.exists():
            return np.load(cache)
        vectors = self.embed(texts)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
        return vectors

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.concatenate([self.encoder.encode(texts[i:i + 64]) for i in range(0, len(texts), 64)])

    def respell(self, text: str) -> str:
        """Misspelt words put right by the nearest word of the exemplars ('chromosme' -> 'chromosome'), so a
        typo does not move the question away from its intent; placeholders and short words stay."""
        def fix(m: re.Match[str]) -> str:
            word = m.group(0)
            lowered = word.lower()
            if len(word) < 5 or lowered in self.words or word.isupper():
                return word
            hit = process.extractOne(lowered, self.words, scorer=fuzz.ratio, score_cutoff=80)
            return hit[0] if hit else word
        return _WORD.sub(fix, text)

    def scores(self, text: str) -> list[IntentScore]:
        """Every route with its score, best first."""
        # the encoder reads 128 word pieces; the rest of a long text would only cost time
        similarity = self.vectors @ self.embed([self.respell(text[:MAX_CHARS])])[0]
        ranked = []
        for label in self.labels:
            nearest = np.sort(similarity[self.members[label]])[-NEAREST:]
            ranked.append(IntentScore(route=label, score=round(float(nearest.mean()), 4)))
        return sorted(ranked, key=lambda s: -s.score)


@lru_cache(maxsize=2)
def intent_model(path: Path = EXEMPLARS) -> IntentModel:
    """The classifier over the packaged exemplars, built once per process."""
    return IntentModel(load_exemplars(path))
