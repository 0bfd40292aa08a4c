"""Entity linking against the real graph."""

from agent.entities import link_entities


def test_alias_is_linked_and_question_words_are_not(graph):
    entities = link_entities("What is the official gene symbol of HER2?", graph)
    assert [(g.mention, g.symbol, g.reason) for g in entities.genes] == [("HER2", "ERBB2", "alias")]
    entities = link_entities("Is MALAT1 a protein-coding gene? Which chromosome is it on?", graph)
    assert [g.symbol for g in entities.genes] == ["MALAT1"]


def test_identifiers_are_linked(graph):
    tp53 = graph.gene("TP53")
    for question in (f"Convert {tp53.ensembl_id} to official gene symbol.", f"Which gene has Entrez ID {tp53.entrez_id}?",
                     f"Which gene is {tp53.hgnc_id}?", f"Which gene encodes UniProt {tp53.uniprot_ids[0]}?",
                     f"What gene has OMIM {tp53.omim_id}?"):
        [gene] = link_entities(question, graph).genes
        assert gene.symbol == "TP53" and gene.reason == "identifier", question


def test_gene_lists_keep_their_order(graph):
    entities = link_entities("The enriched GO term for CDK1, CCNB1, CDC20, PLK1, BUB1 is", graph)
    assert [g.symbol for g in entities.genes] == ["CDK1", "CCNB1", "CDC20", "PLK1", "BUB1"]


def test_omics_terms_link_to_values_in_the_graph(graph):
    dnase = link_entities("List DNase-seq experiments in liver", graph)
    assert dnase.omics.assay == "DNase-seq" and dnase.omics.biosample == "liver" and not dnase.genes
    chip = link_entities("Which transcription factors were profiled by ChIP-seq in HepG2?", graph)
    assert chip.omics.assay == "ChIP-seq" and chip.omics.biosample == "hepg2" and chip.omics.transcription_factors
    tracks = link_entities("How many Enformer tracks measure H3K27ac?", graph)
    assert tracks.omics.tracks and tracks.omics.target == "H3K27ac" and not tracks.genes
    band = link_entities("Which genes lie in 17p13.1?", graph)
    assert band.omics.cytoband == "17p13.1" and not band.genes


def test_go_terms_diseases_and_unknown_names(graph):
    names = graph.go_term_names()
    term = link_entities("Which genes are annotated with GO:0006915?", graph)
    assert term.go_terms == [("GO:0006915", names["GO:0006915"])]
    assert link_entities("Which genes are associated with cystic fibrosis?", graph).disease == "cystic fibrosis"
    unknown = link_entities("What is the official symbol of FOOBAR123?", graph)
    assert unknown.genes == [] and unknown.unresolved == ["FOOBAR123"]


def test_lower_case_questions_link_official_symbols_only(graph):
    assert [g.symbol for g in link_entities("what chromosome is xist on", graph).genes] == ["XIST"]
    assert link_entities("what is the weather today", graph).genes == []


def test_a_symbol_is_not_cut_into_an_identifier(graph):
    [gene] = link_entities("Is B3GAT1-DT a protein-coding gene?", graph).genes
    assert gene.symbol == "B3GAT1-DT" and gene.reason == "official"
