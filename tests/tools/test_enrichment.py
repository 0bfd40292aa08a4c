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
    # the p-value is the hypergeometric tail over the annotated background, counted here by the graph itself
    [background] = graph.query("MATCH (g:Gene)-[:ANNOTATED_WITH]->(t:GoTerm) WHERE t.aspect = 'BP' "
                               "RETURN count(DISTINCT g.symbol) AS n")
    assert top.background_size == background["n"]
    assert top.term_size == len({g.symbol for g in graph.genes_of_term(top.go_id)})
    expected = hypergeom.sf(top.overlap - 1, top.background_size, top.term_size, top.query_size)
    assert top.p_value == pytest.approx(expected)
    assert [t.p_value for t in terms] == sorted(t.p_value for t in terms)
    assert all(t.p_adjusted >= t.p_value for t in terms)


def test_a_planted_term_comes_back(graph):
    rows = graph.query("MATCH (g:Gene)-[a:ANNOTATED_WITH]->(t:GoTerm) WHERE t.aspect = 'BP' AND a.direct "
                       "WITH t.go_id AS go_id, collect(DISTINCT g.symbol) AS genes "
                       "WHERE size(genes) >= 10 AND size(genes) <= 25 RETURN go_id, genes ORDER BY go_id")
    rng = random.Random(3)
    for planted in rng.sample(rows, 3):
        genes = rng.sample(sorted(planted["genes"]), 5)
        top5 = [t.go_id for t in go_enrichment(genes, graph, aspect="BP", top=5)]
        assert planted["go_id"] in top5


def test_unknown_and_unannotated_genes(graph):
    with pytest.raises(GeneNotFound):
        go_enrichment(["CDK1", "NOTAGENE42"], graph)
    [row] = graph.query("MATCH (g:Gene) WHERE g.cytoband = '17p13.1' AND NOT EXISTS { MATCH (g)-[:ANNOTATED_WITH]->"
                        "(t:GoTerm) WHERE t.aspect = 'BP' } RETURN g.symbol AS symbol ORDER BY symbol LIMIT 1")
    with pytest.raises(EmptyGeneList):
        go_enrichment([row["symbol"]], graph, aspect="BP")
