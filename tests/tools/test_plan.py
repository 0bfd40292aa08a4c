"""Typed question plans on the real graph: each operation's answer agrees with the raw release files read
here with csv, the plan is derived from kg/schema.toml, and a plan that does not fit is one clear error."""

import csv
import gzip
from collections import Counter
from pathlib import Path

import pytest

from kg.errors import GeneNotFound
from tools.query.answer import run_plan
from tools.query.bind import Unlinked
from tools.query.plan import LOCATION, Plan, all_fields, kinds, plan_json_schema

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def hgnc() -> dict[str, dict]:
    with gzip.open(DATA / "hgnc" / "hgnc_complete_set_2024-10-18.txt.gz", "rt", encoding="utf-8") as handle:
        return {r["symbol"]: r for r in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture(scope="module")
def spans(hgnc) -> dict[str, tuple[str, int, int]]:
    """GENCODE v29 span of each HGNC symbol (first row: a pseudoautosomal gene keeps chrX)."""
    by_id = {r["hgnc_id"]: s for s, r in hgnc.items()}
    out: dict[str, tuple[str, int, int]] = {}
    with gzip.open(DATA / "gencode" / "gencode_v29_genes_GRCh38_with_hgnc.tsv.gz", "rt", encoding="utf-8") as handle:
        for r in csv.DictReader(handle, delimiter="\t"):
            symbol = by_id.get(r["hgnc_id"])
            if symbol and symbol not in out:
                out[symbol] = (r["chrom"].removeprefix("chr"), int(r["start_1based"]), int(r["end"]))
    return out


def split(value: str) -> list[str]:
    return [v for v in value.strip('"').split("|") if v]


def test_the_plan_is_derived_from_the_schema():
    gene = kinds()["gene"]
    assert {"aliases", "mane_select", "length", "gene_groups"} <= set(gene.properties)
    assert {"disease", "go_process", "cell_type", "gene_group", "experiment"} <= set(gene.links)
    assert gene.links["go_process"].subset == ("aspect", "BP") and gene.located
    assert LOCATION in all_fields() and "tissue" in kinds()["cell_type"].properties
    schema = plan_json_schema()
    assert set(schema["properties"]["find"]["enum"]) == set(kinds())


@pytest.mark.parametrize(("plan", "message"), [
    ({"op": "list", "find": "disease", "ask": "chromosome"}, "a disease has no field 'chromosome'"),
    ({"op": "list", "where": [{"on": "location", "op": "within", "values": ["TP53"]}]}, "needs a distance"),
    ({"op": "compare", "names": ["TP53"], "ask": "length"}, "needs 2 named"),
    ({"op": "rank", "where": [{"on": "chromosome", "values": ["1"]}]}, "needs `by`"),
])
def test_a_plan_that_does_not_fit_is_refused(plan, message):
    with pytest.raises(ValueError, match=message):
        Plan.model_validate(plan)


def test_names_that_link_to_nothing_are_one_clear_error(graph):
    with pytest.raises(GeneNotFound, match="FOOBAR123"):
        run_plan(Plan(op="get", names=["FOOBAR123"], ask="aliases"), graph)
    with pytest.raises(Unlinked, match="gene group 'Imaginary kinases'"):
        run_plan(Plan(op="list", where=[{"on": "gene_group", "values": ["Imaginary kinases"]}]), graph)


def test_get_answers_exactly_the_asked_attribute(graph, hgnc):
    aliases = run_plan(Plan(op="get", names=["CDKN2A"], ask="aliases"), graph)
    assert aliases.answer == ", ".join(split(hgnc["CDKN2A"]["alias_symbol"]))
    mane = run_plan(Plan(op="get", names=["TP53"], ask="mane_select"), graph)
    assert set(mane.answer.split(", ")) == set(split(hgnc["TP53"]["mane_select"]))
    group = run_plan(Plan(op="get", names=["ZNF554"], ask="gene_group"), graph)
    assert set(split(hgnc["ZNF554"]["gene_group"])) <= set(group.answer.split("; "))


def test_within_a_distance_of_a_gene(graph, spans):
    chrom, start, end = spans["TP53"]
    gold = {s for s, (c, a, b) in spans.items() if c == chrom and a <= end + 250_000 and b >= start - 250_000
            and s != "TP53"}
    result = run_plan(Plan(op="list", where=[{"on": "location", "op": "within", "values": ["TP53"],
                                              "distance": 250_000}]), graph)
    assert {r["symbol"] for r in result.rows} == gold and result.total == len(gold)


def test_nearest_gene_to_a_position(graph, spans):
    chrom, start, _ = spans["CFTR"]
    position = start - 5_000
    result = run_plan(Plan(op="nearest", where=[{"on": "location", "values": [f"chr{chrom}:{position}"]}]), graph)
    nearest = min((s for s, (c, _, _) in spans.items() if c == chrom),
                  key=lambda s: 0 if spans[s][1] <= position <= spans[s][2] else
                  min(abs(spans[s][1] - position), abs(spans[s][2] - position)))
    assert result.answer == nearest and ("bp away" in result.text or "overlapping" in result.text)


def test_compare_and_check_two_genes(graph, spans):
    longer = run_plan(Plan(op="compare", names=["BRCA1", "BRCA2"], ask="length"), graph)
    lengths = {s: spans[s][2] - spans[s][1] + 1 for s in ("BRCA1", "BRCA2")}
    assert longer.answer == max(lengths, key=lengths.get)
    same = run_plan(Plan(op="check", names=["BRCA1", "TP53"], ask="chromosome"), graph)
    assert same.answer == ("yes" if spans["BRCA1"][0] == spans["TP53"][0] else "no")
    shorter = run_plan(Plan(op="check", names=["BRCA1", "BRCA2"], ask="length", order="asc"), graph)
    assert shorter.answer == ("yes" if lengths["BRCA1"] < lengths["BRCA2"] else "no")


def test_gene_group_and_chromosome_with_negation(graph, hgnc):
    group = "Zinc fingers C2H2-type"
    members = {s for s, r in hgnc.items() if group in split(r["gene_group"])}
    on_19 = {s for s in members if hgnc[s]["location"].startswith("19")}
    both = run_plan(Plan(op="count", where=[{"on": "gene_group", "values": [group]},
                                            {"on": "chromosome", "values": ["19"]}]), graph)
    assert both.answer == str(len(on_19))
    others = run_plan(Plan(op="count", where=[{"on": "gene_group", "values": [group]},
                                              {"on": "chromosome", "op": "not", "values": ["19"]}]), graph)
    located = {s for s in members if hgnc[s]["location"][:1].isalnum()}
    assert int(others.answer) == len(located - on_19)


def test_rank_chromosomes_by_protein_coding_genes(graph, hgnc):
    per = Counter(next((c for c in [*map(str, range(22, 0, -1)), "X", "Y"] if r["location"].startswith(c)), None)
                  for r in hgnc.values() if r["locus_group"] == "protein-coding gene")
    per.pop(None, None)
    result = run_plan(Plan(op="rank", by="chromosome", limit=3,
                           where=[{"on": "locus_group", "values": ["protein-coding gene"]}]), graph)
    assert [r["chromosome"] for r in result.rows] == [c for c, _ in per.most_common(3)]


def test_markers_of_a_cell_type_and_the_check(graph):
    with open(DATA / "markers" / "gptcelltype_all_marker_annotations.csv", encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["dataset"] == "Azimuth" and
                   r["manual_annotation"] == "Memory B cell" and r["tissue"] == "PBMC")
    markers = [m.strip() for m in row["marker"].split(",")]
    result = run_plan(Plan(op="list", where=[{"on": "cell_type", "values": ["Memory B cell in PBMC"]}]), graph)
    assert {r["symbol"] for r in result.rows} == set(markers)
    yes = run_plan(Plan(op="check", names=[markers[0]], where=[{"on": "cell_type",
                                                                 "values": ["memory B cells in PBMC"]}]), graph)
    assert yes.answer == "yes"


def test_targets_in_both_biosamples_and_in_one_but_not_the_other(graph):
    targets: dict[str, set[str]] = {}
    with gzip.open(DATA / "encode" / "ENCODE_metadata_promoter_models.tsv.gz", "rt", encoding="utf-8") as handle:
        for r in csv.DictReader(handle, delimiter="\t"):
            if r["Assay"] == "TF ChIP-seq":
                targets.setdefault(r["Biosample term name"], set()).add(r["Experiment target"].removesuffix("-human"))
    both = run_plan(Plan(op="count", find="experiment", ask="target", where=[
        {"on": "assay", "values": ["TF ChIP-seq"]}, {"on": "biosample", "op": "all", "values": ["K562", "HepG2"]}]),
        graph)
    assert both.answer == str(len(targets["K562"] & targets["HepG2"]))
    only = run_plan(Plan(op="count", find="experiment", ask="target", where=[
        {"on": "assay", "values": ["TF ChIP-seq"]}, {"on": "biosample", "values": ["HepG2"]},
        {"on": "biosample", "op": "not", "values": ["K562"]}]), graph)
    assert only.answer == str(len(targets["HepG2"] - targets["K562"]))
    experiments = run_plan(Plan(op="count", find="experiment", where=[
        {"on": "assay", "values": ["TF ChIP-seq"]}, {"on": "biosample", "values": ["HepG2"]}]), graph)
    assert experiments.answer == "532"  # experiments, not the 478 targets


def test_values_travel_as_parameters(graph):
    result = run_plan(Plan(op="list", where=[{"on": "disease", "values": ["cystic fibrosis"]}]), graph)
    assert "CFTR" in result.answer and "cystic" not in result.cypher.lower() and result.params
