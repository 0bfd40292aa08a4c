"""Train the semantic parser: a LoRA adapter that writes a question's typed plan as compact JSON.

`geneverse finetune parser --out tools/adapters/geneverse-parser-smollm2-135m` builds the synthetic,
execution-verified pairs (`finetune.parser_data`), fine-tunes the base model on the training split (LoRA,
loss on the plan only), and writes the adapter with its data card, loss curve, metrics and model card into
`--out`. The work folder keeps checkpoints, so an interrupted run resumes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pydantic import BaseModel, Field

from finetune.data import write_atomic
from finetune.parser_data import PARSER_SYSTEM, write_parser_data
from finetune.sft import SFTConfig, TrainResult, train
from kg.paths import home

# What the adapter folder keeps of a run (checkpoints stay in the work folder).
DRAFTS = "plans.txt"
KEPT = ("adapter_config.json", "adapter_model.safetensors", "loss_curve.png", "metrics.jsonl", "sft_config.json",
        "train_result.json")


class ParserTrainConfig(BaseModel):
    out: str = Field(description="adapter folder to write")
    base: str = Field("default", description="HF model folder, or 'default' for the packaged SmolLM2-135M")
    per_shape: int = Field(100, description="pairs tried per plan shape")
    seed: int = 7
    epochs: float = 2.0
    batch_size: int = 16
    learning_rate: float = 1e-3
    lora_r: int = 16
    lora_alpha: int = 32
    cutoff_len: int = 160
    mixed_precision: str = "no"
    work: str | None = Field(None, description="data and checkpoints (default: GENEVERSE_HOME/finetune/parser)")


def train_parser(graph, config: ParserTrainConfig, progress: bool = True) -> TrainResult:
    work = Path(config.work).expanduser() if config.work else home() / "finetune" / "parser"
    data = work / "data"
    if not (data / "train.jsonl").is_file():
        write_parser_data(graph, data, per_shape=config.per_shape, seed=config.seed)
    sft = SFTConfig(base=config.base, data=str(data), out=str(work / "run"), system=PARSER_SYSTEM,
                    template="chat", epochs=config.epochs, batch_size=config.batch_size,
                    learning_rate=config.learning_rate, warmup_steps=10, lora_r=config.lora_r,
                    lora_alpha=config.lora_alpha, lora_dropout=0.05, cutoff_len=config.cutoff_len,
                    mixed_precision=config.mixed_precision, max_val_examples=100, eval_every=50, save_every=50)
    result = train(sft, progress=progress)
    out = Path(config.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    for name in KEPT:
        if (work / "run" / name).exists():
            shutil.copy2(work / "run" / name, out / name)
    for name in ("data_card.json", "README.md"):
        shutil.copy2(data / name, out / ("data_card.md" if name == "README.md" else name))
    write_atomic(out / DRAFTS, training_plans(data / "train.jsonl"))
    write_atomic(out / "parser.json", json.dumps({"system": PARSER_SYSTEM, "base": config.base, "drafts": DRAFTS},
                                                 indent=1) + "\n")
    return result


def training_plans(train: Path) -> str:
    """The distinct plans of the training split, one per line: the decoder drafts its next tokens from them."""
    plans = dict.fromkeys(json.loads(line)["output"] for line in train.read_text().splitlines() if line.strip())
    return "\n".join(plans) + "\n"
