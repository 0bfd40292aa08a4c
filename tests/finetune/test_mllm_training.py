"""LoRA for a tiny random LLaVA on the protein task (real AlphaFold models, names from the graph) and the
marker task (real PBMC expression on generated coordinates, real marker lists); the tools call the result."""

import json

import pytest

from finetune.mllm import MLLMConfig, train_mllm
from finetune.tiny import build_tiny_llava
from tools.mllm import MARKER_QUESTION, PROTEIN_QUESTION, identify_protein, is_marker_gene


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    return build_tiny_llava(tmp_path_factory.mktemp("llava") / "tiny-llava")


def test_protein_task_names_proteins_from_the_graph_and_the_tool_answers(tiny_llava, graph, tmp_path):
    config = MLLMConfig(task="protein", base=str(tiny_llava), out=str(tmp_path / "protein"), image_size=96,
                        max_steps=2, batch_size=2, val_fraction=0.0)
    result = train_mllm(config, graph, progress=False)
    assert result.steps == 2 and (tmp_path / "protein" / "adapter_model.safetensors").is_file()
    examples = [json.loads(line) for line in (tmp_path / "protein" / "examples.jsonl").read_text().splitlines()]
    by_accession = {e["source"].split()[0].removeprefix("UniProt:"): e for e in examples}
    assert set(by_accession) == {"Q9GZY4", "Q9BVV7"}
    coa1 = graph.by_uniprot("Q9GZY4")
    assert by_accession["Q9GZY4"]["answer"] == f"{coa1.name} ({coa1.symbol})"
    assert all(e["question"] == PROTEIN_QUESTION for e in examples)
    reply = identify_protein(by_accession["Q9GZY4"]["image"], model_path=str(tmp_path / "protein"))
    assert reply.model == "tiny-llava + protein" and reply.question == PROTEIN_QUESTION
    assert isinstance(reply.answer, str)


def test_marker_task_learns_yes_no_answers(tiny_llava, tmp_path):
    config = MLLMConfig(task="marker", base=str(tiny_llava), out=str(tmp_path / "marker"), image_size=64,
                        max_examples=40, max_steps=30, batch_size=4, learning_rate=1e-2, eval_every=30)
    result = train_mllm(config, progress=False)
    assert result.val_loss_after < result.val_loss_before
    examples = [json.loads(line) for line in (tmp_path / "marker" / "examples.jsonl").read_text().splitlines()]
    assert {e["answer"] for e in examples} == {"Yes", "No"}
    assert all(e["coordinates"].startswith("generated") for e in examples)
    first = examples[0]
    gene = first["question"].split("Is gene ")[1].split(" a marker")[0]
    cell_type = first["question"].split("cell type ")[1].rstrip("?")
    reply = is_marker_gene(first["image"], gene, cell_type, model_path=str(tmp_path / "marker"))
    assert reply.question == MARKER_QUESTION.format(gene=gene, cell_type=cell_type)
    assert reply.answer in ("yes", "no")  # the trained model answers in the trained vocabulary
