"""Post-correction against the real graph: wrong facts replaced, right facts untouched."""

import pytest

from tools.correction import correct_text, tidy_draft


@pytest.fixture(scope="module")
def erbb2(graph):
    return graph.gene("ERBB2")


def _right_text(gene) -> str:
    aliases = f", also known as {', '.join(gene.aliases)}" if gene.aliases else ""
    return (f"{gene.symbol} ({gene.name}; {gene.hgnc_id}, Entrez Gene ID {gene.entrez_id}, {gene.ensembl_id}, "
            f"OMIM {gene.omim_id}, UniProt {gene.uniprot_ids[0]}) is located on chromosome {gene.chromosome} at "
            f"{gene.cytoband}. It is a protein-coding gene{aliases}. "
            f"The official symbol is {gene.symbol}.")


@pytest.mark.parametrize("symbol", ["ERBB2", "TP53", "BRCA1", "GATA4"])
def test_right_facts_are_never_changed(graph, symbol):
    gene = graph.gene(symbol)
    text = _right_text(gene)
    result = correct_text(text, symbol, graph)
    assert result.corrections == [] and result.text == text
    expected = {"hgnc_id", "entrez_id", "ensembl_id", "omim_id", "uniprot_id", "chromosome", "cytoband",
                "locus_type", "symbol"} | ({"aliases"} if gene.aliases else set())
    assert expected <= set(result.checked)


def test_every_wrong_fact_is_replaced_with_the_graph_value(graph, erbb2):
    other = graph.gene("TP53")
    text = (f"ERBB2 (HGNC:9999, Entrez Gene ID 1234, {other.ensembl_id}, OMIM {other.omim_id}) is located on "
            "chromosome 5 at 5q31.1. It is a non-coding RNA gene. The official symbol is HER2. "
            "The official full name is erb-b2 receptor tyrosine kinase 7.")
    result = correct_text(text, "ERBB2", graph)
    fixed = {c.field: (c.before, c.after) for c in result.corrections}
    assert fixed == {
        "hgnc_id": ("9999", erbb2.hgnc_id.split(":")[1]),
        "entrez_id": ("1234", erbb2.entrez_id),
        "ensembl_id": (other.ensembl_id, erbb2.ensembl_id),
        "omim_id": (other.omim_id, erbb2.omim_id),
        "chromosome": ("5", "17"),
        "cytoband": ("5q31.1", erbb2.cytoband),
        "locus_type": ("non-coding RNA gene", "protein-coding gene"),
        "symbol": ("HER2", "ERBB2"),
        "name": ("erb-b2 receptor tyrosine kinase 7", erbb2.name),
    }
    assert all(c.source == erbb2.hgnc_id for c in result.corrections)
    assert result.text == (f"ERBB2 ({erbb2.hgnc_id}, Entrez Gene ID {erbb2.entrez_id}, {erbb2.ensembl_id}, OMIM "
                           f"{erbb2.omim_id}) is located on chromosome 17 at {erbb2.cytoband}. It is a protein-coding "
                           f"gene. The official symbol is ERBB2. The official full name is {erbb2.name}.")


def test_degenerate_alias_list_is_replaced_by_the_real_aliases(graph):
    gli1 = graph.gene("GLI1")
    series = "; ".join(f"GLI-{i}" for i in range(1, 9)) + "; ... GLI-34"
    for text in (f"GLI1, also known as {series}, is a transcription factor.",
                 f"GLI1 is a transcription factor ({series}) of the hedgehog pathway."):
        result = correct_text(text, "GLI1", graph)
        [fix] = result.corrections
        assert fix.field == "aliases" and "GLI-34" in fix.before
        assert fix.after == ", ".join(dict.fromkeys(gli1.aliases + gli1.previous_symbols))
        assert "GLI-" not in result.text


def test_a_partial_true_alias_list_is_left_alone_and_a_false_one_fixed(graph, erbb2):
    kept = "ERBB2 (also known as HER2 and NEU) is a receptor tyrosine kinase."
    assert correct_text(kept, "ERBB2", graph).corrections == []
    wrong = "ERBB2, also known as FOO1, FOO2 and FOO3, is a receptor."
    [fix] = correct_text(wrong, "ERBB2", graph).corrections
    assert fix.before == "FOO1, FOO2 and FOO3" and "HER2" in fix.after.split(", ")


def test_facts_about_other_genes_are_left_alone(graph):
    tp53 = graph.gene("TP53")
    mdm2 = graph.gene("MDM2")
    text = (f"TP53 is regulated by MDM2 ({mdm2.hgnc_id}), which lies on chromosome {mdm2.chromosome}. "
            f"TP53 ({mdm2.hgnc_id}) is on chromosome 5.")
    result = correct_text(text, "TP53", graph)
    assert [(c.field, c.before, c.after) for c in result.corrections] == [
        ("hgnc_id", mdm2.hgnc_id.split(":")[1], tp53.hgnc_id.split(":")[1]), ("chromosome", "5", "17")]


def test_locus_type_of_a_non_coding_gene(graph):
    result = correct_text("MALAT1 is a protein-coding gene on chromosome 11.", "MALAT1", graph)
    assert result.text == "MALAT1 is a long non-coding RNA gene on chromosome 11."
    # HGNC's own wording, which the fine-tuned model writes for every gene
    mirna = correct_text("MIR488 (microRNA 488) is a gene with protein product, located at 1q25.2.", "MIR488", graph)
    assert mirna.text == "MIR488 (microRNA 488) is a microRNA gene, located at 1q25.2."
    coding = "TP53 (tumor protein p53) is a gene with protein product."
    assert correct_text(coding, "TP53", graph).text == coding


# Greedy drafts of the fine-tuned SmolLM2 (evals/reports/heldout/generations.jsonl), after graph correction.
LOOPING_DRAFT = (
    "WDR26 (WDR26; HGNC:21208, Ensembl ENSG00000162923) is a gene with protein product, located at 1q42.11-q42.12. "
    "Cytoplasmic cytokeratin proteins are a class of cytoplasmic proteins that are involved in the regulation of "
    "cell differentiation. Cytoplasmic cytokeratin proteins are also involved in the regulation of cell "
    "differentiation. Cytoplasmic cytokeratin proteins are a family of cytoplasmic proteins that are involved in "
    "the regulation of cell differentiation. Cytoplasmic cytokeratin proteins are a family of cytoplasmic proteins "
    "that are involved in the regulation of cell differentiation. Cytoplasmic cytokeratin proteins are a family of "
    "cytoplasmic proteins")
LIST_DRAFT = (
    "FN1 (fibronectin 1; HGNC:3778, Ensembl ENSG00000115414) is a gene with protein product, located at 2q35. "
    "It takes part in the biological processes transcription, translation, ribosome-site binding, ribosome-site "
    "binding, ribosome-site binding, ribosome-site binding.")


def test_repeated_sentences_and_the_unfinished_tail_are_removed():
    text, removed = tidy_draft(LOOPING_DRAFT)
    assert text == (
        "WDR26 (WDR26; HGNC:21208, Ensembl ENSG00000162923) is a gene with protein product, located at "
        "1q42.11-q42.12. Cytoplasmic cytokeratin proteins are a class of cytoplasmic proteins that are involved in "
        "the regulation of cell differentiation. Cytoplasmic cytokeratin proteins are also involved in the "
        "regulation of cell differentiation. Cytoplasmic cytokeratin proteins are a family of cytoplasmic proteins "
        "that are involved in the regulation of cell differentiation.")
    assert [c.field for c in removed] == ["repetition", "unfinished_sentence"]
    assert all(c.source == "draft" for c in removed)


def test_a_list_item_repeated_in_a_row_is_said_once():
    text, removed = tidy_draft(LIST_DRAFT)
    assert text.endswith("transcription, translation, ribosome-site binding.")
    assert [c.field for c in removed] == ["repetition"] and removed[0].before.count("ribosome-site binding") == 4
    twice, removed = tidy_draft("It binds actin; actin and myosin filaments.")
    assert twice == "It binds actin and myosin filaments." and removed[0].before == "actin; actin"
    looping_gloss, _ = tidy_draft("NAV2 (N-Ax-N-Ax-N-Ax-N-Ax-N-Ax-N-Ax-N-Ax-N-Ax-N-Ax-N-Ax-N-Ax-N-Ax-N")
    assert looping_gloss.count("N-Ax-") == 1


def test_text_without_repetition_is_left_as_it_is(graph):
    summary = graph.gene("TP53").summary
    assert tidy_draft(summary) == (summary, [])
    assert tidy_draft("A single unfinished sentence") == ("A single unfinished sentence", [])


def test_invented_full_name_in_the_opening_gloss_is_replaced(graph):
    # the opening the fine-tuned model writes: "SYMBOL (full name; HGNC:..., Ensembl ...)"
    draft = ("CASP10 (CASP10; C-terminal protein 10; HGNC:12444, Ensembl ENSG00000178444) is a gene with "
             "protein product, located at 1p13.1.")
    result = correct_text(draft, "CASP10", graph)
    assert result.text.startswith("CASP10 (CASP10; caspase 10; HGNC:1500, Ensembl ENSG00000003400)")
    assert ("name", "C-terminal protein 10", "caspase 10") in {(c.field, c.before, c.after) for c in result.corrections}
    for right in ["TP53 (tumor protein p53; HGNC:11998) is a gene with protein product.",
                  "TP53 (also known as p53) is a tumor suppressor."]:
        assert correct_text(right, "TP53", graph).text == right
