"""LoRA / full supervised fine-tuning on a tiny random Llama with a real tokenizer."""

import json

import pytest
from safetensors.torch import load_file
from typer.testing import CliRunner

from finetune.cli import app
from finetune.data import InstructionRecord
from finetune.sft import IGNORE_INDEX, SFTConfig, tokenize_record, train
from finetune.tiny import build_tiny_llm, tiny_tokenizer
from tools.llm import LLMConfig, load_llm

FAST = {"batch_size": 2, "grad_accum": 2, "learning_rate": 1e-2, "eval_every": 3, "save_every": 100,
        "max_val_examples": 4}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("sft")
    base = build_tiny_llm(root / "tiny-llama")
    records = [
        InstructionRecord(instruction=f"Please summarize the major function of gene: G{i}.",
                          output=f"G{i} takes part in pathway P{i % 3}.", gene_id=f"G{i}", symbol=f"G{i}")
        for i in range(24)
    ]
    for split, rows in (("train", records[:20]), ("val", records[20:])):
        (root / f"{split}.jsonl").write_text("".join(r.model_dump_json() + "\n" for r in rows))
    return root, base


def test_loss_is_on_response_tokens_only():
    tokenizer = tiny_tokenizer()
    record = InstructionRecord(instruction="Describe TP53.", output="TP53 is a tumour suppressor.")
    for template in ("chat", "alpaca"):
        example = tokenize_record(tokenizer, record, cutoff_len=512, template=template)
        learned = [t for t in example["labels"] if t != IGNORE_INDEX]
        assert tokenizer.decode(learned) == record.output + tokenizer.eos_token
        masked = example["labels"].index(learned[0])
        assert tokenizer.decode(example["input_ids"][:masked]).endswith(
            "<|im_start|>assistant\n" if template == "chat" else "### Response:\n")
    assert len(tokenize_record(tokenizer, record, cutoff_len=10, template="chat")["input_ids"]) == 10


def test_lora_training_lowers_validation_loss_and_loads(tiny):
    root, base = tiny
    result = train(SFTConfig(base=str(base), data=str(root), out=str(root / "lora"), max_steps=6, **FAST),
                   progress=False)
    assert result.finished and result.steps == 6 and result.tokens > 0 and result.peak_memory_mb > 0
    assert result.val_loss_after < result.val_loss_before
    metrics = [json.loads(line) for line in (root / "lora" / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == list(range(7)) and "val_loss" in metrics[3]
    generator = load_llm(LLMConfig(backend="hf", model_path=str(base), adapter=str(root / "lora"),
                                   max_new_tokens=6))
    assert generator.name == "tiny-llama + lora"
    assert generator.generate("G1") == generator.generate("G1")


def test_resumed_training_matches_uninterrupted_training(tiny):
    root, base = tiny
    config = {"base": str(base), "data": str(root), "max_steps": 6, **FAST}
    train(SFTConfig(out=str(root / "straight"), **config), progress=False)
    paused = train(SFTConfig(out=str(root / "paused"), stop_after_steps=4, **config), progress=False)
    assert not paused.finished and paused.steps == 4
    resumed = train(SFTConfig(out=str(root / "paused"), **config), progress=False)
    assert resumed.finished and resumed.steps == 6
    straight = load_file(root / "straight" / "adapter_model.safetensors")
    continued = load_file(root / "paused" / "adapter_model.safetensors")
    assert straight.keys() == continued.keys()
    assert all((straight[k] == continued[k]).all() for k in straight)


def test_full_finetune_writes_a_loadable_model(tiny):
    root, base = tiny
    result = train(SFTConfig(base=str(base), data=str(root / "train.jsonl"), out=str(root / "full"),
                             full_finetune=True, max_steps=2, template="alpaca", **FAST), progress=False)
    assert result.val_loss_before is None  # a single JSONL file has no validation split
    generator = load_llm(LLMConfig(backend="hf", model_path=str(root / "full"), max_new_tokens=4))
    assert isinstance(generator.generate("G3"), str)


def test_cli_trains_with_json_output_and_rejects_bad_options(tiny):
    root, base = tiny
    runner = CliRunner()
    args = ["llm", "--data", str(root), "--base", str(base), "--out", str(root / "cli"), "--max-steps", "2",
            "--batch-size", "4", "--lr", "1e-2", "--json"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout.strip().splitlines()[-1])["steps"] == 2
    assert runner.invoke(app, [*args, "--template", "vicuna"]).exit_code != 0
