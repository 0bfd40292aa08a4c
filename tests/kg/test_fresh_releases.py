"""Releases fetched by `geneverse kg download` (gene2go, go-basic.obo, a GENCODE GTF, HPO's phenotype.hpoa and
hp.obo, MedGen's names) take the place of
the vendored tables in a build. Inputs are real records rewritten in those formats."""

import gzip

import pytest

from kg.build import GraphContent, _add_diseases, _add_gene2go, source_files
from kg.disease_names import DiseaseNameIndex
from kg.errors import ParseError
from kg.paths import data_dir
from kg.sources.clinvar import parse_clinvar_conditions
from kg.sources.gencode_gtf import parse_gencode_gtf
from kg.sources.go_obo import ancestors, parse_obo_terms
from kg.sources.hpo import parse_hpo_terms

SLIM = data_dir() / "go" / "goslim_generic.obo"
CD99_GTF = data_dir() / "enformer" / "small_examples" / "borzoi_CD99_example.gtf"


def test_obo_terms_and_is_a_closure():
    terms = {t["go_id"]: t for t in parse_obo_terms(SLIM)}
    assert terms["GO:0000003"]["name"] == "reproduction" and terms["GO:0000003"]["aspect"] == "BP"
    assert "GO:0019952" in terms["GO:0000003"]["alt_ids"]
    closure = ancestors({go_id: t["parents"] for go_id, t in terms.items()})
    child = next(go_id for go_id, t in terms.items() if "GO:0005694" in t["parents"])
    assert "GO:0005694" in closure[child]


def test_obo_without_header_is_rejected(tmp_path):
    bad = tmp_path / "go.obo"
    bad.write_text("[Term]\nid: GO:1\n")
    with pytest.raises(ParseError, match="go.obo:1: not an OBO file"):
        list(parse_obo_terms(bad))


def test_gene2go_direct_and_implied_annotations(tmp_path):
    terms = {t["go_id"]: t for t in parse_obo_terms(SLIM)}
    child = next(go_id for go_id, t in terms.items() if t["parents"])
    parent = terms[child]["parents"][0]
    gene2go = tmp_path / "gene2go.gz"
    with gzip.open(gene2go, "wt") as out:
        out.write("#tax_id\tGeneID\tGO_ID\tEvidence\tQualifier\tGO_term\tPubMed\tCategory\n")
        out.write(f"9606\t7157\t{child}\tIDA\tinvolved_in\t{terms[child]['name']}\t-\tProcess\n")
        out.write(f"9606\t672\t{child}\tIEA\tNOT involved_in\t{terms[child]['name']}\t-\tProcess\n")
        out.write(f"10090\t22059\t{child}\tIDA\tinvolved_in\t{terms[child]['name']}\t-\tProcess\n")
    content = GraphContent()
    _add_gene2go(content, gene2go, SLIM, {"7157": "HGNC:11998", "672": "HGNC:1100"})
    edges = {(a["gene_id"], a["go_id"]): a for a in content.annotations}
    assert edges[("HGNC:11998", child)] == {"gene_id": "HGNC:11998", "go_id": child, "direct": True, "experimental": True}
    assert edges[("HGNC:11998", parent)]["direct"] is False
    assert not any(g == "HGNC:1100" for g, _ in edges)  # a NOT qualifier is no annotation


def test_gtf_gene_records(tmp_path):
    transcripts = [line.split("\t") for line in CD99_GTF.read_text().splitlines() if "\ttranscript\t" in line]
    start, end = min(int(t[3]) for t in transcripts), max(int(t[4]) for t in transcripts)
    attributes = 'gene_id "ENSG00000002586.20"; gene_type "protein_coding"; gene_name "CD99"; level 2;'
    gtf = tmp_path / "gencode.annotation.gtf.gz"
    with gzip.open(gtf, "wt") as out:
        out.write("##description: evidence-based annotation\n")
        out.write(f"chrX\tHAVANA\tgene\t{start}\t{end}\t.\t+\t.\t{attributes}\n")
        out.write(CD99_GTF.read_text())
    genes = list(parse_gencode_gtf(gtf))
    assert genes == [{"ensembl_id": "ENSG00000002586", "name": "CD99", "gene_type": "protein_coding",
                      "chromosome": "X", "start": start, "end": end, "strand": "+", "tss": start}]
    broken = tmp_path / "broken.gtf"
    broken.write_text("chrX\tHAVANA\tgene\t1\n")
    with pytest.raises(ParseError, match="broken.gtf:1: expected 9 GTF fields"):
        list(parse_gencode_gtf(broken))


def test_fresh_releases_replace_only_what_was_downloaded(tmp_path):
    (tmp_path / "go").mkdir()
    (tmp_path / "go" / "go-basic.obo").write_text(SLIM.read_text())
    (tmp_path / "go" / "gene2go.gz").write_bytes(b"")
    files = source_files(releases=tmp_path)
    assert files["go_obo"] == tmp_path / "go" / "go-basic.obo" and files["gene2go"] == tmp_path / "go" / "gene2go.gz"
    assert files["hgnc"].parent == data_dir() / "hgnc" and "gencode_gtf" not in files


def test_hpo_and_medgen_releases_name_conditions(tmp_path):
    """phenotype.hpoa (after its '#' preamble), hp.obo and MedGen's NAMES.RRF give a condition its other names."""
    clinvar = list(parse_clinvar_conditions(data_dir() / "clinvar" / "gene_condition_source_id.txt"))
    terms = {t["hpo_id"]: t for t in parse_hpo_terms(data_dir() / "hpo" / "hp_term_names.tsv.gz")}
    phenotype = next(r for r in clinvar if r["hpo_term"] in terms and terms[r["hpo_term"]]["synonyms"])
    term = terms[phenotype["hpo_term"]]
    (tmp_path / "hpo").mkdir()
    (tmp_path / "hpo" / "hp.obo").write_text(
        "format-version: 1.2\n\n[Term]\nid: HP:0000001\nname: All\n\n[Term]\n"
        f"id: {term['hpo_id']}\nname: {term['name']}\n"
        + "".join(f'synonym: "{s}" EXACT []\n' for s in term["synonyms"])
        + 'synonym: "a broader phrase" BROAD []\n')
    (tmp_path / "hpo" / "phenotype.hpoa").write_text(
        "#description: HPO annotations for rare diseases\n#version: 2025-01-16\n"
        "database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\n"
        "OMIM:232800\tGlycogen storage disease VII\t\tHP:0003198\tOMIM:232800\tTAS\n"
        "OMIM:232800\tGlycogen storage disease VII\t\tHP:0001250\tOMIM:232800\tTAS\n")
    (tmp_path / "medgen").mkdir()
    with gzip.open(tmp_path / "medgen" / "NAMES.RRF.gz", "wt") as out:
        out.write("#CUI|name|source|SUPPRESS|\n")
        out.write("C0017926|Glycogen storage disease, type VII|MONDO|N|\n")
        out.write("C0017926|Tarui disease|GTR|N|\n")
        out.write("C0017926|GSD VII (suppressed)|OMIM|Y|\n")
    files = source_files(releases=tmp_path)
    assert files["hpo_terms"].suffix == ".obo" and "medgen_names" in files
    content = GraphContent()
    _add_diseases(content, files, {"5213": "HGNC:8877"})
    gsd7 = content.diseases["C0017926"]
    assert gsd7["name"] == "Glycogen storage disease, type VII"
    assert {"Tarui disease", "Glycogen storage disease VII"} <= set(gsd7["synonyms"])
    assert "GSD VII (suppressed)" not in gsd7["synonyms"] and "OMIM:232800" in gsd7["hpo_ids"]
    assert set(term["synonyms"]) <= set(content.diseases[phenotype["medgen_id"]]["synonyms"])
    index = DiseaseNameIndex([(d["disease_id"], n) for d in content.diseases.values() if d["name"]
                              for n in [d["name"], *d["synonyms"]]])
    assert index.search("Tarui's disease")[0].disease_id == "C0017926"
