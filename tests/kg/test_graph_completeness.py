"""The graph against the raw releases it is built from: every human NCBI gene, ENCODE experiments merged
with the more specific assay, conditions found by their other names. Expected figures are computed here from
the raw files with the standard library, not with the project's parsers."""

import csv
import gzip
from collections import Counter

import pytest

from kg.models import Gene
from kg.paths import data_dir
from kg.schema import ladybug_ddl, neo4j_load, schema
from tools import gene_facts


def _tsv(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)


@pytest.fixture(scope="module")
def human_gene_info() -> dict[str, dict]:
    return {r["GeneID"]: r for r in _tsv(data_dir() / "ncbi/Homo_sapiens.gene_info.gz") if r["#tax_id"] == "9606"}


def test_every_human_ncbi_gene_is_a_gene_of_the_graph(graph, human_gene_info):
    in_graph = {r["entrez_id"] for r in graph.query("MATCH (g:Gene) WHERE g.entrez_id IS NOT NULL "
                                                    "RETURN g.entrez_id AS entrez_id")}
    # a gene whose Entrez id HGNC gives differently is found by NCBI's id too
    other_ids = {r["key"] for r in graph.query("MATCH (n:Name)-[r:NAMES]->(:Gene) WHERE r.kind = 'identifier' "
                                               "RETURN n.key AS key")}
    assert set(human_gene_info) <= in_graph | other_ids
    renamed = next(i for i in sorted(other_ids) if i in human_gene_info)
    assert graph.resolve(renamed).best.symbol == human_gene_info[renamed]["Symbol"]
    without_hgnc = [i for i, r in human_gene_info.items() if "HGNC:" not in r["dbXrefs"]]
    assert len(without_hgnc) > 60_000  # LOC genes, biological regions, pseudogenes, ncRNAs


def test_ncbi_only_gene_carries_ncbi_type_location_and_synonyms(graph, human_gene_info):
    record = next(r for r in human_gene_info.values() if r["Symbol"].startswith("LOC") and r["type_of_gene"] == "ncRNA"
                  and r["map_location"] not in ("", "-") and "Ensembl:" not in r["dbXrefs"])
    gene = graph.gene(record["Symbol"])
    assert gene.gene_id == f"NCBIGene:{record['GeneID']}" and gene.source == "NCBI Gene" and gene.hgnc_id is None
    assert (gene.locus_type, gene.locus_group) == ("ncRNA", "non-coding RNA")
    assert (gene.chromosome, gene.cytoband) == (record["chromosome"], record["map_location"])
    fact = gene_facts.is_protein_coding(record["Symbol"], graph)
    assert fact.answer == "NA" and "ncRNA" in fact.text
    # a gene found by its Entrez id alone
    assert graph.resolve(record["GeneID"]).best.symbol == record["Symbol"]


def test_ncbi_record_names_the_gencode_gene_it_fills(graph, human_gene_info):
    row = graph.query("MATCH (g:Gene) WHERE g.source = 'GENCODE v23; NCBI Gene' RETURN g.gene_id AS id, "
                      "g.symbol AS symbol, g.entrez_id AS entrez, g.gencode_names AS clone ORDER BY id LIMIT 1")[0]
    assert row["id"].startswith("ENSG") and row["symbol"] == human_gene_info[row["entrez"]]["Symbol"]
    assert graph.resolve(row["clone"][0]).best.gene_id == row["id"]  # GENCODE's clone name still finds it
    assert graph.resolve(f"NCBIGene:{row['entrez']}").best.gene_id == row["id"]


def test_hgnc_stays_authoritative_where_both_name_a_gene(graph, human_gene_info):
    gene = graph.gene("ERBB2")
    assert gene.source == "HGNC" and gene.gene_id == "HGNC:3430"
    assert set(human_gene_info["2064"]["Synonyms"].split("|")) <= set(gene.synonyms)


def _raw_experiments() -> dict[str, tuple[str, str]]:
    """Accession -> (assay, biosample): the ENCODE metadata's where it has the experiment (its assay titles
    are the specific ones), else the Enformer/Borzoi list's."""
    experiments = {r["experiment_accession"]: (r["assay"], r["biosample_description"])
                   for r in _tsv(data_dir() / "encode/encode_experiments_from_enformer_borzoi_targets.tsv")}
    for r in _tsv(data_dir() / "encode/ENCODE_metadata_promoter_models.tsv.gz"):
        experiments[r["Experiment accession"]] = (r["Assay"], r["Biosample term name"])
    return experiments


def test_experiment_counts_per_assay_and_biosample_equal_the_raw_files(graph):
    expected = Counter(_raw_experiments().values())
    rows = graph.query("MATCH (e:Experiment) RETURN e.assay AS assay, e.biosample AS biosample, count(e) AS n")
    assert {(r["assay"], r["biosample"]): r["n"] for r in rows} == dict(expected)
    assert expected[("TF ChIP-seq", "HepG2")] == len(graph.experiments(assay="TF ChIP-seq", biosample="HepG2")) > 500


def test_merged_experiment_records_where_each_property_came_from(graph):
    both = [e for e in graph.experiments(assay="TF ChIP-seq") if ";" in e.source]
    assert both, "some experiments are in both ENCODE lists"
    assert all("assay=ENCODE metadata.tsv" in e.property_sources for e in both)


@pytest.mark.parametrize(("written", "gene", "matched"), [
    ("glycogen storage disease type 1b", "SLC37A4", "Glycogen storage disease Ib"),  # an HPO name, roman numeral
    ("progressive myoclonic epilepsy 10", "PRDM8", "Epilepsy, progressive myoclonic, 10"),  # word order, a synonym
    ("tubular acidosis renal distal", "SLC4A1", None),
    ("Long QT syndrome type I", "KCNQ1", "Long QT syndrome 1"),
    ("cystic fibrossis", "CFTR", "Cystic fibrosis"),  # misspelt
])
def test_conditions_are_found_as_people_write_them(graph, written, gene, matched):
    disease, genes = graph.genes_of_disease(written)[0]
    assert gene in {g.symbol for g in genes}
    if matched:
        assert disease.matched_name == matched


def test_schema_declaration_is_what_the_backends_and_records_use(graph):
    declared = schema()
    for ddl in ladybug_ddl():
        label = ddl.split("TABLE ")[1].split("(")[0]
        assert all(f"`{p}`" in ddl for p in declared[label].columns)
    assert "`assembly`" in neo4j_load("Gene") and "assembly" in Gene.model_fields
    assert set(Gene.model_fields) == {p.name for p in declared["Gene"].record_properties}
    # the built graph has every declared property: a record reads them all
    gene = graph.gene("TP53")
    assert gene.assembly == "GRCh38" and gene.go_annotation_count > 100 and gene.condition_count > 10
