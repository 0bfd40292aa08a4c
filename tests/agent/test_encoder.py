"""The numpy MiniLM encoder of the intent model gives the embeddings sentence-transformers gives."""

import numpy as np

from agent.encoder import packaged_encoder
from retrieval.embedder import SentenceEmbedder


def test_numpy_encoder_matches_sentence_transformers():
    texts = ["What is the official gene symbol of GENE?", "x",
             "Which biosamples have both H3K27ac and H3K4me3 tracks in liver tissue?"]
    expected = SentenceEmbedder().model.encode(texts, normalize_embeddings=True)
    assert np.abs(packaged_encoder().encode(texts) - expected).max() < 1e-5
