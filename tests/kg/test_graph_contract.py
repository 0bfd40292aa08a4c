"""The GeneGraph contract, run on every backend: always Ladybug; Neo4j when NEO4J_URI is set."""

import os

import pytest

from kg.errors import AmbiguousName, GeneNotFound, GeneverseError, ReadOnlyViolation


@pytest.fixture(scope="module", params=["ladybug", "neo4j"])
def g(request, graph):
    if request.param == "ladybug":
        yield graph
        return
    if not os.environ.get("NEO4J_URI"):
        pytest.skip("Neo4j contract tests need a server: set NEO4J_URI (docker compose up neo4j)")
    from kg.build import build_graph
    from kg.graph import open_graph

    build_graph(backend="neo4j")
    neo = open_graph(backend="neo4j")
    yield neo
    neo.close()


def test_alias_resolves_to_official_symbol_with_ids(g):
    gene = g.gene("HER2")
    assert gene.symbol == "ERBB2"
    assert (gene.hgnc_id, gene.entrez_id, gene.ensembl_id) == ("HGNC:3430", "2064", "ENSG00000141736")
    assert (gene.chromosome, gene.cytoband) == ("17", "17q12")
    assert "NGL" in gene.previous_symbols and "HER2" in gene.aliases
    assert g.resolve("her2").best.reason == "alias"


def test_names_rank_official_before_previous_before_alias(g):
    assert g.resolve("erbb2").best.reason == "official"
    assert [(c.symbol, c.reason) for c in g.resolve("NGL").candidates] == [("ERBB2", "previous")]


@pytest.mark.parametrize(
    "identifier", ["HGNC:11998", "ENSG00000141510", "ENSG00000141510.16", "7157", "P04637", "OMIM:191170"]
)
def test_identifiers_resolve(g, identifier):
    assert g.gene(identifier).symbol == "TP53"


def test_identifier_lookups(g):
    assert g.by_entrez(7157).symbol == "TP53"
    assert g.by_ensembl("ENSG00000141736").symbol == "ERBB2"
    assert g.by_hgnc("3430").symbol == "ERBB2"
    assert g.by_uniprot("p04626").symbol == "ERBB2"
    assert g.by_omim("164870").symbol == "ERBB2"
    assert g.by_entrez(999999999) is None


def test_shared_name_is_ranked_by_evidence(g):
    resolution = g.resolve("ORF1")  # an HGNC alias of two protein-coding genes
    assert resolution.ambiguous and not resolution.guess
    best, other = resolution.candidates
    assert (best.symbol, other.symbol) == ("AHI1", "NCKIPSD")
    # the better-studied gene is the likelier reading, and the evidence says so
    assert best.go_annotation_count > other.go_annotation_count and best.condition_count > other.condition_count
    assert best.score > other.score and best.why[:2] == ["HGNC alias", "protein-coding gene"]
    assert g.gene("ORF1").symbol == "AHI1"


def test_close_readings_are_a_guess_that_gene_refuses(g):
    resolution = g.resolve("M-ABC1")  # two transporters of near-equal evidence
    assert resolution.guess and {c.symbol for c in resolution.candidates} == {"ABCB8", "ABCF2"}
    with pytest.raises(AmbiguousName) as err:
        g.gene("M-ABC1")
    assert "ABCB8" in str(err.value) and "ABCF2" in str(err.value)


def test_unknown_name_suggests_closest_official_symbols(g):
    with pytest.raises(GeneNotFound) as err:
        g.gene("ERBB22")
    assert "ERBB2" in err.value.suggestions


def test_old_gencode_clone_names(g):
    # a clone-based name HGNC never approved keeps its own GENCODE v23 coordinates
    clone = g.gene("RP11-17A4.3")
    assert clone.hgnc_id is None and clone.source == "GENCODE v23"
    assert (clone.chromosome, clone.start, clone.end) == ("8", 56536758, 56540497)
    # a clone-based name of a gene HGNC later named is mapped through its Ensembl id
    renamed = g.resolve("RP11-34P13.3")
    assert renamed.best.symbol == "MIR1302-2HG" and renamed.best.reason == "gencode_v23"


def test_every_hgnc_gene_is_present(g):
    from kg.build import SOURCE_FILES
    from kg.paths import data_dir
    from kg.sources.hgnc import parse_hgnc

    expected = sum(1 for _ in parse_hgnc(data_dir() / SOURCE_FILES["hgnc"]))
    found = g.query("MATCH (x:Gene) WHERE x.hgnc_id IS NOT NULL RETURN count(x) AS n")[0]["n"]
    assert found == expected == 43882


def test_location_queries(g):
    band = {x.symbol for x in g.genes_in_cytoband("17p13.1")}
    assert "TP53" in band and "ERBB2" not in band
    assert all(x.cytoband.startswith("17p13.1") for x in g.genes_in_cytoband("17p13.1"))
    assert "TP53" in {x.symbol for x in g.genes_in_cytoband("17p13")}
    region = {x.symbol for x in g.genes_in_region("chr17", 7_670_000, 7_680_000)}
    assert "TP53" in region and "ERBB2" not in region
    with pytest.raises(GeneverseError):
        g.genes_in_cytoband("17z1")


def test_diseases_by_name_tolerate_word_order_and_case(g):
    found = g.genes_of_disease("BREAST CANCER familial")
    names = [d.name for d, _ in found]
    assert "Familial cancer of breast" in names
    genes = next(gs for d, gs in found if d.name == "Familial cancer of breast")
    assert {"BRCA1", "BRCA2"} <= {x.symbol for x in genes}
    assert found[0][0].score >= found[-1][0].score


def test_diseases_of_gene_carry_clinvar_and_hpo(g):
    diseases = g.diseases_of_gene("BRCA1")
    assert any("ClinVar" in d.sources and "HPO" in d.sources for d in diseases)
    assert any(d.omim_id for d in diseases) and any(d.medgen_id for d in diseases)


def test_go_terms_direct_and_inferred(g):
    terms = g.go_terms("TP53", aspect="BP")
    assert any(t.direct for t in terms) and any(not t.direct for t in terms)
    assert all(t.direct for t in g.go_terms("TP53", aspect="BP", direct_only=True))
    assert any(t.experimental for t in terms)
    apoptosis = {x.symbol for x in g.genes_of_term("apoptotic process")}
    assert apoptosis == {x.symbol for x in g.genes_of_term("GO:0006915")}
    assert "CASP3" in apoptosis


def test_experiments_filters_are_case_insensitive_with_biosample_fragments(g):
    polr2a = g.experiments(assay="chip-seq", target="polr2a")
    assert polr2a and all(e.target_gene == "POLR2A" for e in polr2a)
    assert {"K562", "HepG2"} <= {e.biosample for e in polr2a}
    liver = g.experiments(assay="DNase-seq", biosample="liver")
    assert liver and all("liver" in e.biosample.lower() and e.assay == "DNase-seq" for e in liver)
    tf = g.experiments(assay="TF ChIP-seq", biosample="HepG2", limit=5)
    assert len(tf) == 5


def test_tracks_named_by_metadata_and_linked_to_experiments(g):
    assert len(g.tracks()) == 5313
    first = g.track(0)
    assert (
        first.assay == "DNASE"
        and first.biosample.startswith("cerebellum")
        and first.experiment == "ENCSR000EIJ"
    )
    h3k27ac = g.tracks(assay="ChIP-seq", target="h3k27ac")
    assert len(h3k27ac) == 229 and all(t.target.lower() == "h3k27ac" for t in h3k27ac)
    assert g.tracks(assay="CAGE", biosample="liver")
    with pytest.raises(GeneverseError):
        g.track(99999)


def test_free_queries_are_read_only(g):
    before = g.stats()["Gene"]
    for cypher in [
        "MATCH (x:Gene) DETACH DELETE x",
        "MATCH (x:Gene) SET x.symbol = 'X' RETURN x.symbol AS s",
        "CREATE (x:Gene {gene_id: 'evil'})",
        "CALL db.labels()",
        "RETURN 1; MATCH (x) DELETE x",
        "RETURN apoc.cypher.runFirstColumnSingle('MATCH (n) DETACH DELETE n', {}) AS x",
    ]:
        with pytest.raises(ReadOnlyViolation):
            g.query(cypher)
    assert g.stats()["Gene"] == before
    rows = g.query("MATCH (x:Gene {symbol: 'TP53'}) RETURN x.start AS start, x.`end` AS stop")
    assert rows == [{"start": 7661779, "stop": 7687550}]


def test_schema_text_names_every_label(g):
    text = g.schema_text()
    for label in [
        "Gene",
        "Name",
        "GoTerm",
        "Disease",
        "Experiment",
        "Biosample",
        "Track",
        "NAMES",
        "TARGETS",
    ]:
        assert label in text
