"""Questions as people phrase them, on the real graph: routes and answers for each phrasing kind, entity
linking, plain-language writes refused, image files, and 'both', 'but not', 'most' and top-N queries checked
against counts read from the raw release files here."""

import csv
import gzip
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from agent.entities import link_entities
from agent.graph import GeneverseAgent
from agent.server import create_app
from kg.errors import GeneverseError
from tools.registry import REGISTRY, TOOLS

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def agent(graph):
    return GeneverseAgent(graph)


@pytest.fixture(scope="module")
def chip_tracks() -> list[tuple[str, str]]:
    """(target, biosample) of every Enformer ChIP track, from targets_human.txt."""
    with open(DATA / "enformer" / "targets_human.txt", encoding="utf-8") as handle:
        rows = csv.DictReader(handle, delimiter="\t")
        return [(d.split(":", 2)[1], d.split(":", 2)[2]) for d in (r["description"] for r in rows)
                if d.startswith("CHIP:")]


# --- phrasing kinds ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("question", "route", "answer"), [
    ("The official gene symbol of gene HER2 is", "official_symbol", "ERBB2"),  # completion prompt
    ("Give me the approved symbol for HER2, please.", "official_symbol", "ERBB2"),  # imperative, extra words
    ("what's the offical symbol of her2", "official_symbol", "ERBB2"),  # lower case, typo
    ("Regarding if the gene codes a protein, MALAT1 is", "protein_coding", "NA"),
    ("Tell me whether TP53 makes a protein.", "protein_coding", "TRUE"),
    ("xist lives on wich chromosome", "chromosome", "chrX"),
    ("State the cytogenetic band of TP53.", "cytoband", "17p13.1"),
    ("The name of the gene related to cystic fibrosis is", "genes_of_disease", "CFTR"),
])
def test_phrasings_reach_the_right_tool(agent, question, route, answer):
    reply = agent.ask(question)
    assert (reply.route, reply.error) == (route, None)
    assert answer in reply.answer


def test_a_question_the_agent_does_not_understand_says_what_it_understood(agent):
    reply = agent.ask("Is the H3K27ac weather sunny?")
    assert reply.route == "unknown" and "H3K27ac" in reply.error and "I can" in reply.error


# --- entity linking ---------------------------------------------------------------------------------------

def test_genes_link_as_written_including_parenthesised_aliases(graph):
    assert [g.symbol for g in link_entities("Is p185(erbB2) a protein-coding gene?", graph).genes] == ["ERBB2"]
    assert link_entities("Is p185(erbB2) a protein-coding gene?", graph).unresolved == []


def test_diseases_biosamples_locus_types_chromosomes_and_go_names(graph):
    disease = link_entities("Which genes are linked to Hypertrophic Cardiomyopathy 1?", graph)
    assert disease.disease == "hypertrophic cardiomyopathy 1" and disease.unresolved == []
    roman = link_entities("Which genes cause pseudohypoparathyroidism type Ic?", graph)
    assert roman.disease == "pseudohypoparathyroidism type 1c" and roman.genes == []
    liver = link_entities("List DNase-seq experiments in liver tissue", graph).omics
    assert (liver.assay, liver.biosample) == ("DNase-seq", "liver")
    assert link_entities("DNase-seq in hepg-2 cells", graph).omics.biosample == "hepg2"
    coding = link_entities("How many protein-coding genes are on chromosome 18?", graph).omics
    assert (coding.locus, coding.chromosome) == (("locus_group", "protein-coding gene"), "18")
    assert link_entities("How many microRNA genes are in 17q25.3?", graph).omics.locus == ("locus_type", "RNA, micro")
    names = graph.go_term_names()
    go = link_entities("Which genes are part of the hemoglobin complex?", graph).omics.go_id
    assert names[go] == "hemoglobin complex"


def test_assays_and_marks_the_data_lacks_are_reported(agent, graph):
    assert link_entities("How many Hi-C experiments are there?", graph).omics.missing == ["Hi-C"]
    with pytest.raises(GeneverseError, match="CUT&RUN"):
        agent.query("Which biosamples have CUT&RUN tracks?")
    with pytest.raises(GeneverseError, match="H3K99ac"):
        agent.query("How many H3K99ac tracks are there?")
    declined = agent.ask("How many Hi-C experiments are there?")
    assert declined.answer is None and "holds no Hi-C" in declined.error


# --- writes and images ----------------------------------------------------------------------------------

@pytest.mark.parametrize("request_", ["delete all tracks for K562", "Remove the gene TP53",
                                      "add a new biosample called MyOrganoid",
                                      "Please update the symbol of TP53 to P53"])
def test_plain_language_writes_are_refused_as_writes(agent, graph, request_):
    before = graph.stats()
    reply = agent.ask(request_)
    assert reply.answer is None and "read-only" in reply.error and "refused" in reply.error
    assert graph.stats() == before


def test_imperatives_that_read_are_not_taken_for_writes(agent):
    reply = agent.ask("Create a list of the genes in 17p13.1")
    assert reply.route == "query_plan" and reply.error is None and "TP53" in {r["symbol"] for r in reply.rows}


def test_http_ask_answers_a_write_request_with_403(agent, graph):
    with TestClient(create_app(agent=agent, graph=graph)) as client:
        response = client.post("/ask", json={"question": "delete all tracks for K562"})
        assert response.status_code == 403 and "read-only" in response.json()["error"]
        assert client.post("/ask", json={"question": "Which tracks are from K562?"}).status_code == 200
        listed = client.get("/tools").json()
        routes = [route for route in REGISTRY if route != "omics_query"] + ["ask", "query", "correct"]
        assert [t["name"] for t in listed] == ["geneverse_" + route for route in routes]
        assert all(t["description"] and t["arguments"] and t["result"] for t in listed)


def test_a_structure_file_goes_to_the_protein_image_tool(agent, monkeypatch):
    monkeypatch.delenv("GENEVERSE_MLLM_PROTEIN", raising=False)
    reply = agent.ask("Which protein is shown in data/alphafold/AF-Q9BVV7-F1-model_v1.pdb?")
    assert reply.route == "protein_image" and "GENEVERSE_MLLM_PROTEIN" in reply.error


# --- compositional queries against the raw files -------------------------------------------------------

def test_both_and_but_not_over_tracks(agent, chip_tracks):
    by_target: dict[str, set[str]] = defaultdict(set)
    for target, biosample in chip_tracks:
        by_target[target.lower()].add(biosample)
    both = agent.query("Which biosamples have both H3K27ac and H3K4me3 tracks?")
    wanted = by_target["h3k27ac"] & by_target["h3k4me3"]
    assert both.total == len(wanted) and {r["biosample"] for r in both.rows} <= wanted
    only = agent.query("Which biosamples have H3K27ac but not H3K4me3 tracks?")
    assert {r["biosample"] for r in only.rows} == by_target["h3k27ac"] - by_target["h3k4me3"]
    assert "$" in both.cypher and "h3k27ac" not in both.cypher.lower()  # values travel as parameters


def test_most_and_top_n(agent, chip_tracks):
    per_biosample = Counter(b for _, b in chip_tracks)
    most = agent.ask("Which biosample has the most ChIP-seq tracks?")
    assert most.route == "query_plan" and most.rows == [{"biosample": per_biosample.most_common(1)[0][0],
                                                           "tracks": per_biosample.most_common(1)[0][1]}]
    per_target = Counter(t.lower() for t, _ in chip_tracks)
    top = agent.ask("Top 5 targets by number of Enformer ChIP-seq tracks")
    assert [r["tracks"] for r in top.rows][:5] == [n for _, n in per_target.most_common(5)]
    assert all(r["tracks"] == top.rows[4]["tracks"] for r in top.rows[5:])  # ties with the fifth are kept


def test_counts_by_chromosome_and_locus_type(agent):
    with gzip.open(DATA / "hgnc" / "hgnc_complete_set_2024-10-18.txt.gz", "rt", encoding="utf-8") as handle:
        expected = sum(1 for r in csv.DictReader(handle, delimiter="\t")
                       if r["locus_group"] == "protein-coding gene" and r["location"][:3] in {"18p", "18q"})
    with gzip.open(DATA / "ncbi" / "Homo_sapiens.gene_info.gz", "rt", encoding="utf-8") as handle:  # + NCBI-only
        ncbi_only = sum(1 for r in csv.DictReader(handle, delimiter="\t") if r["#tax_id"] == "9606"
                        and r["type_of_gene"] == "protein-coding" and r["chromosome"] == "18" and "HGNC:" not in r["dbXrefs"])
    reply = agent.ask("How many protein-coding genes are on chromosome 18?")
    assert reply.route == "query_plan" and reply.answer == str(expected)  # lists and counts hold HGNC genes
    assert f"Another {ncbi_only:,} genes that HGNC does not name" in reply.text


def test_joins_of_genes_with_diseases_and_go_terms(agent, graph):
    reply = agent.ask("Which genes linked to hypertrophic cardiomyopathy 1 are on chromosome 14?")
    assert reply.route == "query_plan" and {"MYH6", "MYH7"} <= set(reply.answer.split(", "))
    assert all(graph.gene(s).chromosome == "14" for s in reply.answer.split(", "))
    hemoglobin = agent.ask("Which genes are part of the hemoglobin complex?")
    assert {"HBA1", "HBB"} <= {r["symbol"] for r in hemoglobin.rows}
    plural = agent.ask("How many genes take part in the hemoglobin complexes?")
    assert plural.route == "query_plan" and plural.answer == str(len(hemoglobin.rows))
    repair = agent.ask("Which genes are involved in DNA repair?")  # a GO process, not a condition
    assert repair.route == "query_plan" and repair.provenance.plan["where"][0]["on"] in {"go_term", "go_process"}


# --- the registry -----------------------------------------------------------------------------------------

def test_one_registry_names_routes_schemas_and_descriptions():
    assert len(REGISTRY) == len(TOOLS) and {"official_symbol", "omics_query", "protein_image"} <= set(REGISTRY)
    assert REGISTRY["go_terms"].structured_tool().name == "GoTerms"


def test_shared_names_and_conditions_as_people_write_them(agent):
    shared = agent.ask("which gene is ORF1 officially?")
    assert shared.answer == "AHI1" and "also names NCKIPSD" in shared.text
    condition = agent.ask("What genes are behind glycogen storage disease type 1b?")
    assert condition.route == "genes_of_disease" and "SLC37A4" in condition.answer.split(", ")
    assert "Glycogen storage disease Ib" in condition.text  # the other name of the condition it matched
