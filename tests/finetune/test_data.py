"""Instruction data built from the real graph."""

import json

import pytest

from finetune.data import PAPER_TEST_GENES, DataConfig, read_records, split_of, write_dataset
from kg.errors import GeneverseError
from tools.llm import DESCRIBE_PROMPT, LLMConfig


@pytest.fixture(scope="module")
def dataset(graph, tmp_path_factory):
    out = tmp_path_factory.mktemp("gene-descriptions")
    return out, write_dataset(graph, out)


def test_paper_test_genes_are_held_out_of_every_split(dataset):
    out, card = dataset
    held = {r.symbol for r in read_records(out / "heldout.jsonl")}
    assert held == set(PAPER_TEST_GENES)
    seen: dict[str, str] = {}
    for split in ("train", "val", "test"):
        for record in read_records(out / f"{split}.jsonl"):
            assert record.symbol not in held and record.split == split
            assert seen.setdefault(record.gene_id, split) == split  # one gene, one split
    assert card["records"]["train"] > 10 * card["records"]["val"] > 0
    assert card["records"] == {s: len((out / f"{s}.jsonl").read_text().splitlines()) for s in card["records"]}


def test_response_states_the_graph_facts(dataset, graph):
    out, _ = dataset
    record = next(r for r in read_records(out / "heldout.jsonl") if r.symbol == "CASP10")
    gene = graph.gene("CASP10")
    assert record.instruction == DESCRIBE_PROMPT.format(symbol="CASP10")
    for fact in (gene.symbol, gene.name, gene.hgnc_id, gene.ensembl_id, gene.locus_type, gene.cytoband):
        assert fact in record.output
    assert gene.summary.split(". ")[0] in record.output
    processes = {t.name for t in graph.go_terms("CASP10", aspect="BP", direct_only=True)}
    pathway_part = record.output.split("biological processes ", 1)[1].rstrip(".")
    assert set(pathway_part.split("; ")) <= processes


def test_split_is_deterministic_and_seeded():
    ids = [f"HGNC:{i}" for i in range(2000)]
    first = [split_of(i, DataConfig()) for i in ids]
    assert first == [split_of(i, DataConfig()) for i in ids]
    assert first != [split_of(i, DataConfig(seed=14)) for i in ids]
    assert 0.03 < first.count("val") / len(ids) < 0.07


def test_teacher_variant_adds_protein_coding_train_genes_only(graph, tmp_path):
    teacher = LLMConfig(adapter=None, max_new_tokens=6)  # the packaged SmolLM2 as a (weak) teacher
    card = write_dataset(graph, tmp_path / "data", DataConfig(max_genes=8, teacher=teacher))
    records = read_records(tmp_path / "data" / "train.jsonl")
    synthetic = [r for r in records if r.source.startswith("teacher:")]
    graph_train = {r.gene_id for r in records if r.source == "graph"}
    assert synthetic and card["sources"]["teacher:SmolLM2-135M-Instruct"] == len(synthetic)
    assert {r.gene_id for r in synthetic} <= graph_train
    assert all(g.is_protein_coding for g in graph.genes([r.gene_id for r in synthetic]))
    assert all(r.output != next(g for g in records if g.gene_id == r.gene_id).output for r in synthetic)
    assert json.loads((tmp_path / "data" / "data_card.json").read_text())["config"]["teacher"]["backend"] == "default"


def test_malformed_dataset_line_is_a_clear_error(tmp_path):
    bad = tmp_path / "train.jsonl"
    bad.write_text('{"instruction": "x", "output": "y"}\nnot json\n')
    with pytest.raises(GeneverseError, match=r"train.jsonl:2: not an instruction record"):
        read_records(bad)


def test_grounded_format_pairs_the_facts_packet_with_the_summary(graph, tmp_path):
    from kg.sources.refseq_summary import clean_summary
    from tools.describe import facts_packet, grounded_prompt

    card = write_dataset(graph, tmp_path, DataConfig(format="grounded", max_genes=12))
    assert card["format"] == "grounded" and "Facts about the human gene" in (tmp_path / "README.md").read_text()
    records = read_records(tmp_path / "train.jsonl") + read_records(tmp_path / "heldout.jsonl")
    assert len(records) >= 12 and {r.source for r in records} == {"graph:grounded"}
    for record in records:
        summary = clean_summary(graph.gene(record.gene_id).summary)
        assert record.output == summary
        assert record.instruction == grounded_prompt(facts_packet(record.gene_id, graph, include_summary=False))
        assert summary[:50] not in record.instruction and "RefSeq summary" not in record.instruction
