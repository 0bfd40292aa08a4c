"""Gene facts read from the real graph, checked against the gene records themselves."""

import pytest

from kg.errors import GeneNotFound
from tools import gene_facts


def test_alias_and_previous_symbol_give_the_official_symbol(graph):
    her2 = gene_facts.official_symbol("HER2", graph)
    assert her2.answer == "ERBB2" and her2.fact == "official_symbol"
    assert her2.records == [graph.gene("ERBB2").hgnc_id]
    assert "alias" in her2.text
    previous = graph.gene("ERBB2").previous_symbols[0]
    assert gene_facts.official_symbol(previous, graph).answer == "ERBB2"


@pytest.mark.parametrize("field", ["ensembl_id", "entrez_id", "hgnc_id", "omim_id"])
def test_identifiers_convert_to_the_symbol(graph, field):
    tp53 = graph.gene("TP53")
    value = getattr(tp53, field)
    fact = gene_facts.official_symbol(f"OMIM:{value}" if field == "omim_id" else value, graph)
    assert fact.answer == "TP53" and fact.fact == "id_to_symbol"


def test_identifier_of_a_gene(graph):
    tp53 = graph.gene("TP53")
    assert gene_facts.identifier("TP53", "ensembl", graph).answer == tp53.ensembl_id
    assert gene_facts.identifier("p53", "entrez", graph).answer == tp53.entrez_id
    assert gene_facts.identifier("TP53", "uniprot", graph).answer == ", ".join(tp53.uniprot_ids)


def test_location_in_genegpt_style(graph):
    assert gene_facts.chromosome("XIST", graph).answer == "chrX"
    band = gene_facts.cytoband("TP53", graph)
    assert band.answer == graph.gene("TP53").cytoband == "17p13.1"
    assert "GRCh38" in band.text


def test_protein_coding_is_true_or_na(graph):
    assert gene_facts.is_protein_coding("TP53", graph).answer == "TRUE"
    malat1 = gene_facts.is_protein_coding("MALAT1", graph)
    assert malat1.answer == "NA" and "non-coding" in malat1.text


def test_diseases_both_ways(graph):
    cftr = gene_facts.diseases_of_gene("CFTR", graph)
    assert any("cystic fibrosis" in (row["name"] or "").lower() for row in cftr.rows)
    genes = gene_facts.genes_of_disease("cystic fibrosis", graph)
    assert "CFTR" in genes.answer.split(", ")
    assert genes.records[0] == genes.rows[0]["disease_id"]


def test_go_terms_are_direct_annotations_of_the_aspect(graph):
    fact = gene_facts.go_terms("TP53", graph, aspect="MF")
    assert fact.rows and all(row["aspect"] == "MF" and row["direct"] for row in fact.rows)
    assert {row["go_id"] for row in fact.rows} <= {t.go_id for t in graph.go_terms("TP53", aspect="MF")}


def test_unknown_gene_is_a_clear_error(graph):
    with pytest.raises(GeneNotFound, match="NOTAGENE42"):
        gene_facts.chromosome("NOTAGENE42", graph)


def test_shared_name_answers_the_likeliest_gene_and_names_the_others(graph):
    fact = gene_facts.official_symbol("ORF1", graph)
    assert fact.answer == "AHI1" and fact.alternatives == ["NCKIPSD"] and not fact.guess
    assert "also names NCKIPSD" in fact.text and "likeliest" in fact.text
    close = gene_facts.chromosome("M-ABC1", graph)  # near-equal evidence: answered, and called a guess
    assert close.guess and close.answer == graph.gene(graph.resolve("M-ABC1").best.gene_id).ucsc_chromosome
    assert "guess" in close.text
    assert not gene_facts.official_symbol("HER2", graph).alternatives
