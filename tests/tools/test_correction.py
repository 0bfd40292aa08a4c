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


# --- what a claim is said of, and what was left unchecked ---------------------------------------------------

def _fixes(result) -> list[tuple[str, str, str]]:
    return [(c.field, c.before, c.after) for c in result.corrections]


def test_a_sentence_naming_another_gene_is_still_checked_for_the_subject(graph):
    tp53 = graph.gene("TP53")
    result = correct_text("TP53 is a gene on chromosome 5 at 5q31 and it binds MDM2.", "TP53", graph)
    assert result.text == f"TP53 is a gene on chromosome 17 at {tp53.cytoband} and it binds MDM2."
    assert _fixes(result) == [("chromosome", "5", "17"), ("cytoband", "5q31", tp53.cytoband)]
    assert result.checked == ["chromosome", "cytoband"] and result.unchecked == ["statement"]
    assert [(c.field, c.text, c.status) for c in result.claims] == [
        ("chromosome", "chromosome 5", "corrected"), ("cytoband", "5q31", "corrected"),
        ("statement", "it binds MDM2", "unchecked")]


@pytest.mark.parametrize("text, located", [
    ("The TP53 gene, located on chromosome 5, encodes p53 which interacts with MDM2.", "chromosome 17"),
    ("Located on chromosome 5, TP53 is regulated by MDM2.", "chromosome 17"),
    ("TP53 binds MDM2. It is located on chromosome 5.", "chromosome 17"),
    ("TP53 (which binds MDM2) lies on chromosome 5.", "chromosome 17"),
])
def test_the_subjects_claims_are_corrected_whatever_else_the_sentence_names(graph, text, located):
    result = correct_text(text, "TP53", graph)
    assert _fixes(result) == [("chromosome", "5", "17")] and located in result.text


@pytest.mark.parametrize("text, about", [
    ("TP53 is regulated by MDM2, which lies on chromosome 12.", "MDM2"),
    ("MDM2 is on chromosome 12 at 12q15.", "MDM2"),
    ("On chromosome 12, MDM2 binds TP53.", "MDM2"),
    ("TP53 is on chromosome 17. MDM2 binds it; MDM2 (HGNC:6973) is a protein-coding gene.", "MDM2"),
    ("A pseudogene of this gene is located on chromosome 3.", "pseudogene"),
    ("A related pseudogene is found on chromosome 3.", "pseudogene"),
    ("Two nearly identical copies of this gene are found on chromosome Y.", "copies"),
    ("TP53 acts in the DNA damage response (see MIM 603273).", "see"),
    ("The p53 family includes TP63 (MIM 603273).", "TP63"),
    ("MDM2 binds the protein and is on chromosome 12.", "MDM2 or TP53"),
])
def test_claims_said_of_another_gene_or_thing_are_left_alone_and_reported_unchecked(graph, text, about):
    result = correct_text(text, "TP53", graph)
    assert result.corrections == [] and result.text == text
    unchecked = [c for c in result.claims if c.field != "statement" and c.status == "unchecked"]
    assert unchecked and all(c.about == about and about in c.note for c in unchecked)
    assert not {c.field for c in unchecked} & set(result.checked)


def test_only_the_claim_about_the_subject_is_corrected(graph):
    result = correct_text("BRCA1 lies on chromosome 17 and TP53 on chromosome 5.", "TP53", graph)
    assert result.text == "BRCA1 lies on chromosome 17 and TP53 on chromosome 17."
    assert [(c.text, c.status, c.about) for c in result.claims] == [
        ("chromosome 17", "unchecked", "BRCA1"), ("chromosome 5", "corrected", None)]


@pytest.mark.parametrize("text, fixed", [
    ("TP53, also known as BRCA1, is located on chromosome 17.",
     "TP53, also known as {aliases}, is located on chromosome 17."),
    ("TP53 (aka BRCA1) maps to 17p13.1.", "TP53 (aka {aliases}) maps to 17p13.1."),
    ("TP53 (also called BRCA1) is a tumour suppressor.", "TP53 (also called {aliases}) is a tumour suppressor."),
    ("TP53 alias BRCA1 is on chromosome 17.", "TP53 alias {aliases} is on chromosome 17."),
])
def test_another_genes_official_symbol_given_as_an_alias_is_replaced(graph, text, fixed):
    tp53 = graph.gene("TP53")
    aliases = ", ".join(dict.fromkeys(tp53.aliases + tp53.previous_symbols))
    result = correct_text(text, "TP53", graph)
    assert result.text == fixed.format(aliases=aliases)
    [fix] = result.corrections
    assert (fix.field, fix.before) == ("aliases", "BRCA1")
    assert f"BRCA1 is the official symbol of another gene ({graph.gene('BRCA1').hgnc_id})" in fix.reason


@pytest.mark.parametrize("symbol, text", [
    ("PTEN", "PTEN, also known as TEP1 and MMAC1, is located on chromosome 10 at 10q23.31."),
    ("IL6", "IL6 (also known as HGF and BSF2) lies on chromosome 7."),
    ("CDKN2A", "CDKN2A, also called MTS1, is on chromosome 9."),
    ("PTEN", "PTEN (TEP1) lies on chromosome 10."),
])
def test_a_real_alias_that_names_another_gene_too_is_kept(graph, symbol, text):
    # TEP1 and HGF are official symbols of other genes, MTS1 a previous symbol of S100A4: all HGNC aliases here
    result = correct_text(text, symbol, graph)
    assert result.corrections == [] and result.text == text
    assert {c.status for c in result.claims} == {"confirmed"}


def test_a_true_sentence_is_confirmed_not_edited(graph):
    text = "TP53 is located on chromosome 17 at 17p13.1 and is also known as p53. It is a protein-coding gene."
    result = correct_text(text, "TP53", graph)
    assert result.corrections == [] and result.unchecked == []
    assert result.checked == ["aliases", "chromosome", "cytoband", "locus_type"]


def test_prose_the_graph_does_not_hold_is_unchecked_never_checked(graph):
    text = "TP53 binds MDM2 and is expressed in most tissues; it induces apoptosis."
    result = correct_text(text, "TP53", graph)
    assert result.corrections == [] and result.checked == [] and result.unchecked == ["statement"]
    assert [c.text for c in result.claims] == ["TP53 binds MDM2", "is expressed in most tissues",
                                               "it induces apoptosis"]


# RefSeq summaries of held-out genes say where a pseudogene, a copy, a neighbour or a family member lies and
# cite other MIM and Gene entries; none of that is the gene's own fact.
@pytest.mark.parametrize("symbol", ["TMED10", "SDC4", "SAP30", "PIGA", "CRADD", "NBL1", "LGALS7B", "ITIH2",
                                    "FBXW9", "ASAH2", "FCMR", "VCX3A", "COL6A4P1", "RGS5", "GLO1"])
def test_true_summaries_stating_other_things_facts_are_not_edited(graph, symbol):
    summary = graph.gene(symbol).summary
    assert correct_text(summary, symbol, graph).corrections == []


@pytest.mark.parametrize("text", [
    "A portion of the 3' untranslated region was used to map this gene to 21q21.3; it lies on chromosome 17.",
    "TP53 was originally mapped to chromosome 5.",
    "The gene has been assigned to 5q31 in early work.",
])
def test_a_reported_past_mapping_is_unchecked_not_corrected(graph, text):
    result = correct_text(text, "TP53", graph)
    assert result.corrections == []
    reported = [c for c in result.claims if c.field in ("chromosome", "cytoband") and c.status == "unchecked"]
    assert reported and all("reported mapping" in c.note for c in reported)
    assert correct_text("TP53 maps to 5q31.", "TP53", graph).corrections[0].after == "17p13.1"  # a present claim
