"""Graders on real genes: each sub-check can fail, and the reference itself passes."""

import pytest

from evals.graders import (
    bleu,
    concept_recall,
    curated_concepts,
    grade,
    load_thresholds,
    pearson,
    reference_text,
    rouge1,
    structural_checks,
    wrong_identifiers,
)
from retrieval.embedder import SentenceEmbedder


@pytest.fixture(scope="module")
def gli1(graph):
    return graph.gene("GLI1")


@pytest.fixture(scope="module")
def thresholds():
    return load_thresholds()


def similarity(a: str, b: str) -> float:
    vectors = SentenceEmbedder().encode([a, b])
    return float(vectors[0] @ vectors[1])


def test_reference_is_the_cleaned_refseq_summary(gli1):
    text, source = reference_text(gli1, {})
    assert source == "RefSeq summary" and "hedgehog" in text and "[provided by" not in text


def test_reference_from_graph_when_no_summary(graph):
    gene = graph.gene("RPL37P24")
    text, source = reference_text(gene, {"BP": ["translation"]})
    assert source.startswith("graph") and "ribosomal protein L37 pseudogene 24" in text and "translation" in text


def test_good_description_scores_one_on_both(gli1, thresholds):
    reference, _ = reference_text(gli1, {})
    answer = (f"GLI1 ({gli1.name}, {gli1.hgnc_id}) is located on chromosome 12 (12q13.3). " + reference)
    graded = grade(answer, gli1, reference, similarity(answer, reference), thresholds)
    assert graded.factual == 1, graded.factual_checks
    assert graded.structural == 1, graded.structural_checks
    assert graded.average == 1.0 and graded.bleu > 50 and graded.rouge1 > 0.8


def test_wrong_identifiers_are_named(gli1):
    text = "GLI1 (HGNC:9999, ENSG00000000003) is located on chromosome 7 and on chromosome 12q13."
    assert wrong_identifiers(text, gli1) == ["HGNC:9999", "ENSG00000000003", "chromosome 7"]
    assert wrong_identifiers(f"{gli1.hgnc_id}; it maps to chromosome 12", gli1) == []


def test_a_protein_claimed_of_a_non_coding_gene_is_wrong(graph):
    # the fine-tuned model's draft for a microRNA, after graph correction
    draft = ("MIR6823 (microRNA 6823; HGNC:49952, Ensembl ENSG00000278799) is a microRNA gene, located at "
             "3p21.31. This gene encodes a protein that is involved in the regulation of the transcriptional "
             "activity of the RNA polymerase II.")
    assert wrong_identifiers(draft, graph.gene("MIR6823")) == ["protein product (non-coding RNA)"]
    assert wrong_identifiers("The protein encoded by this gene is a pseudogene product.",
                             graph.gene("RPL37P24")) == ["protein product (pseudogene)"]
    for symbol in ("MIR6823", "MALAT1"):  # their own RefSeq summaries claim no protein
        gene = graph.gene(symbol)
        assert wrong_identifiers(gene.summary, gene) == []
    assert wrong_identifiers("This gene encodes a protein kinase.", graph.gene("CDK1")) == []


def test_off_topic_description_fails_content_and_name(gli1, thresholds):
    reference, _ = reference_text(gli1, {})
    answer = ("GLI1 is a ribosomal RNA that is involved in the translation of messenger RNA in the cytoplasm, "
              "forming part of the small subunit of the ribosome during protein synthesis in all cells.")
    checks = grade(answer, gli1, reference, similarity(answer, reference), thresholds).factual_checks
    assert checks.symbol_right and not checks.full_name_right and not checks.content_matches


@pytest.mark.parametrize(("text", "failing"), [
    ("- GLI1 is a gene.\n- It is in the hedgehog pathway.", "one_paragraph"),
    ("Sure! I think GLI1 is in the hedgehog pathway.", "academic_register"),
    ("GLI1 is a protein.", "pathway_information"),
    ("GLI1 regulates the hedgehog pathway and " * 12, "no_degenerate_repetition"),
    ("GLI1 acts in hedgehog signalling.", "length_within_bounds"),
])
def test_each_structural_check_can_fail(text, failing):
    assert getattr(structural_checks(text), failing) is False


def test_type_i_is_not_first_person():
    assert structural_checks("It mediates the type I interferon signalling pathway.").academic_register


def test_bleu_rouge_and_pearson():
    assert bleu("the same sentence here", "the same sentence here") == pytest.approx(100.0)
    recall, f1 = rouge1("hedgehog signalling", "hedgehog signalling pathway activation")
    assert recall == pytest.approx(0.5) and 0 < f1 < 1
    assert pearson([1, 1, 1], [0, 1, 0]) == (None, None)
    r, p = pearson([1, 2, 3, 4], [2, 4, 6, 8.5])
    assert r > 0.99 and p < 0.05


def test_calibration_separates_matched_from_mismatched():
    import json

    from evals.graders import CALIBRATION_FILE

    stats = json.loads(CALIBRATION_FILE.read_text())
    assert stats["auc"]["embedding_similarity"] > 0.8
    assert stats["content_rule"]["mismatched_pass"] <= 0.05 < stats["content_rule"]["matched_pass"]


def test_go_slim_labels_and_clustering_nmi(graph):
    import numpy as np

    from evals.graders import clustering_nmi, go_slim_bp_terms, go_slim_labels
    from kg.paths import data_dir

    obo = data_dir() / "go" / "goslim_generic.obo"
    terms = go_slim_bp_terms(obo)
    assert terms["GO:0007165"] == "signal transduction" and "GO:0005634" not in terms  # nucleus is CC
    labels = go_slim_labels(graph, ["GLI1", "CASP10", "RPL37P24"], obo)
    assert set(labels) == {"GLI1", "CASP10"} and all(v in terms.values() for v in labels.values())
    vectors = np.array([[0, 0], [0, 0.1], [5, 5], [5, 5.1]])
    nmi, chance = clustering_nmi(vectors, ["a", "a", "b", "b"])
    assert nmi == 1.0 and chance < 1.0


def test_curated_concepts_are_the_go_terms_a_summary_states(graph):
    ccnd1 = graph.gene("CCND1")
    terms = [t.name for t in graph.go_terms("CCND1")]  # direct terms and the ancestors they imply
    concepts = curated_concepts(ccnd1.summary, terms)
    assert "G1/S transition of mitotic cell cycle" in concepts and "protein kinase activity" in concepts
    assert "response to leptin" in terms and "response to leptin" not in concepts  # the summary never says it
    assert not {"biological_process", "molecular_function", "cellular_component"} & set(concepts)
    # "negative regulation of X" and "X" are one concept
    assert not {"negative regulation of mitotic cell cycle", "mitotic cell cycle"} <= set(concepts)
    assert concept_recall(ccnd1.summary, concepts) == 1.0
    stated = "CCND1 regulates the G1/S transition of the mitotic cell cycle as a protein kinase regulator."
    assert 0 < concept_recall(stated, concepts) < 1
    assert concept_recall("It responds to leptin and cocaine.", concepts) == 0.0
    assert curated_concepts(None, terms) == [] and concept_recall("anything", []) is None
