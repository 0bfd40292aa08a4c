"""GO enrichment on the real annotations: the statistics, and recovery of a planted term."""

import random

import numpy as np
import pytest
from scipy.stats import hypergeom

from kg.errors import GeneNotFound
from tools.enrichment import EmptyGeneList, benjamini_hochberg, go_enrichment


def test_benjamini_hochberg_by_hand():
    adjusted = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.2]))
    # sorted p 0.01 0.03 0.04 0.2 scaled by 4/rank: 0.04 0.06 0.0533 0.2, then the running minimum from the top
    assert adjusted == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])


def test_mitotic_genes_are_enriched_for_a_mitotic_term(graph):
    genes = ["CDK1", "CCNB1", "CDC20", "PLK1", "BUB1"]
    terms = go_enrichment(genes, graph, aspect="BP")
    top = terms[0]
    assert top.overlap == 5 and top.p_adjusted < 1e-6
    assert any(word in top.name for word in ("mitotic", "cell cycle", "chromosome segregation", "cell division"))
    # the p-value is the hypergeometric tail over the annotated background
    annotations = graph.go_annotations("BP")
    background = set().union(*annotations.values())
    assert top.background_size == len(background)
    assert top.term_size == len(annotations[top.go_id])
    expected = hypergeom.sf(top.overlap - 1, len(background), top.term_size, top.query_size)
    assert top.p_value == pytest.approx(expected)
    assert [t.p_value for t in terms] == sorted(t.p_value for t in terms)
    assert all(t.p_adjusted >= t.p_value for t in terms)


def test_a_planted_term_comes_back(graph):
    annotations = graph.go_annotations("BP", direct_only=True)
    rng = random.Random(3)
    term = rng.choice(sorted(t for t, g in annotations.items() if 10 <= len(g) <= 25))
    genes = rng.sample(sorted(annotations[term]), 5)
    top5 = [t.go_id for t in go_enrichment(genes, graph, aspect="BP", direct_only=True, top=5)]
    assert term in top5


def test_unknown_and_unannotated_genes(graph):
    with pytest.raises(GeneNotFound):
        go_enrichment(["CDK1", "NOTAGENE42"], graph)
    annotated = set().union(*graph.go_annotations("MF").values())
    unannotated = next(g.symbol for g in graph.genes_in_cytoband("17p13.1") if g.symbol not in annotated)
    with pytest.raises(EmptyGeneList):
        go_enrichment([unannotated], graph, aspect="MF")
