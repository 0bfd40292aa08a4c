"""Supervised fine-tuning of a causal LM on instruction data: LoRA (PEFT) by default, full fine-tuning as
an option. The loop runs through `accelerate`, so the same command works on a CPU, one GPU, or several
GPUs under `accelerate launch`. Loss is on response tokens only; checkpoints can be resumed.
"""

from __future__ import annotations

import json
import math
import resource
import shutil
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from finetune.data import InstructionRecord, read_records
from kg.errors import GeneverseError
from tools.llm import format_prompt, packaged_model_dir

IGNORE_INDEX = -100


class TrainConfig(BaseModel):
    """What every fine-tuning run shares: optimisation, LoRA shape, checkpoints. Defaults are the paper's."""

    out: str
    mixed_precision: Literal["no", "bf16", "fp16"] = Field(
        "no", description="autocast compute type; bf16 is fast on CPUs with AMX and on recent GPUs")
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    learning_rate: float = 2e-4
    epochs: float = 1.0
    max_steps: int | None = Field(None, description="optimizer steps; overrides epochs")
    batch_size: int = 4
    grad_accum: int = 1
    warmup_steps: int = 0
    max_val_examples: int = 64
    eval_every: int = 50
    save_every: int = 50
    log_every: int = 1
    seed: int = 42
    resume: bool = True
    stop_after_steps: int | None = Field(None, description="pause (with a checkpoint) after this many steps in "
                                         "this run; running again resumes")


class SFTConfig(TrainConfig):
    """Supervised fine-tuning of a causal LM on instruction JSONL."""

    base: str = Field("default", description="HF model folder, or 'default' for the packaged SmolLM2")
    data: str = Field(description="dataset folder (train.jsonl, val.jsonl) or one JSONL file")
    full_finetune: bool = False
    lora_targets: list[str] = ["q_proj", "k_proj", "v_proj", "o_proj"]
    cutoff_len: int = 2048
    template: Literal["auto", "chat", "alpaca"] = "auto"
    system: str | None = Field(None, description="system line of every prompt (the model's default when none)")
    max_train_examples: int | None = None


class TrainResult(BaseModel):
    out: str
    steps: int
    total_steps: int
    finished: bool
    examples: int
    train_loss: float | None
    val_loss_before: float | None
    val_loss_after: float | None
    tokens: int
    wall_s: float
    tokens_per_s: float = Field(description="tokens through forward and backward per second of training "
                                "(evaluation and checkpointing excluded)")
    peak_memory_mb: float


def resolve_base(base: str) -> Path:
    path = packaged_model_dir() if base == "default" else Path(base).expanduser()
    if not (path / "config.json").is_file():
        raise GeneverseError(f"No Hugging Face model folder at {path} (config.json missing).")
    return path


def dataset_files(data: str) -> tuple[Path, Path | None]:
    path = Path(data).expanduser()
    if path.is_dir():
        val = path / "val.jsonl"
        return path / "train.jsonl", val if val.is_file() else None
    return path, None


def tokenize_record(tokenizer, record: InstructionRecord, cutoff_len: int, template: str,
                    system: str | None = None) -> dict[str, list[int]]:
    """input_ids and labels for one pair; prompt tokens are masked so only the response is learned."""
    instruction = f"{record.instruction}\n\n{record.input}" if record.input else record.instruction
    prompt = format_prompt(tokenizer, instruction, system=system, template=template)
    prompt_ids = tokenizer(prompt, add_special_tokens=False).input_ids
    response_ids = tokenizer(record.output, add_special_tokens=False).input_ids + [tokenizer.eos_token_id]
    input_ids = (prompt_ids + response_ids)[:cutoff_len]
    labels = ([IGNORE_INDEX] * len(prompt_ids) + response_ids)[:cutoff_len]
    return {"input_ids": input_ids, "labels": labels}


def collate(examples: list[dict], pad_token_id: int) -> dict:
    """Right-pad token lists into a batch; other fields (image tensors) are stacked."""
    import torch

    width = max(len(e["input_ids"]) for e in examples)
    pad = [width - len(e["input_ids"]) for e in examples]
    batch = {
        "input_ids": torch.tensor([e["input_ids"] + [pad_token_id] * p for e, p in zip(examples, pad)]),
        "labels": torch.tensor([e["labels"] + [IGNORE_INDEX] * p for e, p in zip(examples, pad)]),
        "attention_mask": torch.tensor([[1] * len(e["input_ids"]) + [0] * p for e, p in zip(examples, pad)]),
    }
    for key in examples[0].keys() - batch.keys():
        batch[key] = torch.stack([e[key] for e in examples])
    return batch


def load_model_for_training(base: Path, config: SFTConfig):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base)
    if not config.full_finetune:
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=config.lora_targets,
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
    return model, tokenizer


def mean_response_loss(model, batches, accelerator) -> float | None:
    """Token-weighted mean loss over response tokens of all batches (gathered across processes)."""
    import torch

    was_training = model.training
    model.eval()
    total = torch.zeros(2, device=accelerator.device)
    with torch.no_grad():
        for batch in batches:
            logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
            labels = batch["labels"][:, 1:]
            losses = torch.nn.functional.cross_entropy(
                logits[:, :-1].flatten(0, 1).float(), labels.flatten(), ignore_index=IGNORE_INDEX, reduction="sum"
            )
            total += torch.stack([losses, (labels != IGNORE_INDEX).sum().float()])
    model.train(was_training)
    total = accelerator.reduce(total, reduction="sum")
    return (total[0] / total[1]).item() if total[1] > 0 else None


def _latest_checkpoint(out: Path) -> Path | None:
    checkpoints = sorted((out / "checkpoints").glob("step-*"), key=lambda p: int(p.name.split("-")[1]))
    return checkpoints[-1] if checkpoints else None


def peak_memory_mb(device) -> float:
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def train(config: SFTConfig, progress: bool = True) -> TrainResult:
    """Run (or resume) one fine-tuning job and write the adapter (or full model) into `config.out`."""
    from accelerate.utils import set_seed

    set_seed(config.seed)
    base = resolve_base(config.base)
    train_file, val_file = dataset_files(config.data)
    train_records = read_records(train_file)[: config.max_train_examples]
    val_records = read_records(val_file)[: config.max_val_examples] if val_file else []
    if not train_records:
        raise GeneverseError(f"No training records in {train_file}.")
    model, tokenizer = load_model_for_training(base, config)
    train_set = [tokenize_record(tokenizer, r, config.cutoff_len, config.template, config.system) for r in train_records]
    val_set = [tokenize_record(tokenizer, r, config.cutoff_len, config.template, config.system) for r in val_records]
    save = tokenizer if config.full_finetune else None
    return fit(model, train_set, val_set, config, tokenizer.pad_token_id, save_with=save, progress=progress)


def fit(model, train_set: list[dict], val_set: list[dict], config: TrainConfig, pad_id: int,
        save_with=None, progress: bool = True) -> TrainResult:
    """The training loop shared by language and multimodal models: accelerate, gradient accumulation,
    response-only loss (labels come masked), validation loss, checkpoints and resume. `save_with` (a
    tokenizer or processor) is saved next to the final weights."""
    import torch
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    from torch.utils.data import DataLoader
    from transformers import get_linear_schedule_with_warmup

    accelerator = Accelerator(gradient_accumulation_steps=config.grad_accum, mixed_precision=config.mixed_precision)
    set_seed(config.seed)
    out = Path(config.out).expanduser()

    def loader(examples, shuffle_seed: int | None) -> DataLoader:
        generator = torch.Generator().manual_seed(shuffle_seed) if shuffle_seed is not None else None
        return DataLoader(examples, batch_size=config.batch_size, shuffle=generator is not None,
                          generator=generator, collate_fn=lambda b: collate(b, pad_id))

    batches_per_epoch = math.ceil(len(train_set) / (config.batch_size * accelerator.num_processes))
    steps_per_epoch = math.ceil(batches_per_epoch / config.grad_accum)  # the last short window also steps
    total_steps = config.max_steps or max(1, math.ceil(config.epochs * steps_per_epoch))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, config.warmup_steps, total_steps)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    val_loader = accelerator.prepare(loader(val_set, None)) if val_set else None

    state = {"step": 0, "tokens": 0, "wall_s": 0.0, "val_loss_before": None}
    checkpoint = _latest_checkpoint(out) if config.resume else None
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
        state = json.loads((checkpoint / "train_state.json").read_text())
        accelerator.print(f"resuming from {checkpoint} at step {state['step']}")
    elif val_loader is not None:
        state["val_loss_before"] = mean_response_loss(model, val_loader, accelerator)
    if accelerator.is_main_process:
        out.mkdir(parents=True, exist_ok=True)
        (out / "sft_config.json").write_text(config.model_dump_json(indent=2))
    metrics_path = out / "metrics.jsonl"
    if accelerator.is_main_process and checkpoint is None:
        metrics_path.write_text(json.dumps({"step": 0, "val_loss": state["val_loss_before"]}) + "\n")

    bar = LossProgress(total_steps, state["step"], enabled=progress and accelerator.is_main_process)
    model.train()
    started, tokens_at_start, last_loss = time.monotonic(), state["tokens"], None
    stop_at = min(total_steps, state["step"] + (config.stop_after_steps or total_steps))
    window: list[float] = []
    val_after, compute_s = None, 0.0
    while state["step"] < stop_at:
        epoch, step_in_epoch = divmod(state["step"], steps_per_epoch)
        batches = accelerator.prepare(loader(train_set, config.seed + epoch))
        batches = accelerator.skip_first_batches(batches, step_in_epoch * config.grad_accum)
        for batch in batches:
            batch_started = time.monotonic()
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            state["tokens"] += int(accelerator.gather(batch["attention_mask"].sum()).sum())
            window.append(loss.item())
            compute_s += time.monotonic() - batch_started
            if not accelerator.sync_gradients:
                continue
            state["step"] += 1
            last_loss = sum(window) / len(window)
            window = []
            wall = state["wall_s"] + time.monotonic() - started
            record = {"step": state["step"], "loss": round(last_loss, 5), "lr": scheduler.get_last_lr()[0],
                      "tokens": state["tokens"], "wall_s": round(wall, 1)}
            # checkpoint before evaluating, so a resumed run continues from exactly the same RNG state
            if state["step"] % config.save_every == 0 or state["step"] == stop_at:
                _save_checkpoint(accelerator, out, {**state, "wall_s": wall})
            if val_loader is not None and (state["step"] % config.eval_every == 0 or state["step"] == stop_at):
                record["val_loss"] = val_after = mean_response_loss(model, val_loader, accelerator)
            if accelerator.is_main_process and (state["step"] % config.log_every == 0 or "val_loss" in record):
                with metrics_path.open("a") as log:
                    log.write(json.dumps(record) + "\n")
            bar.update(state["step"], last_loss, record.get("val_loss"))
            if state["step"] >= stop_at:
                break
    bar.close()
    wall = state["wall_s"] + time.monotonic() - started
    if val_after is None and val_loader is not None:  # not measured at the last step of this run
        val_after = mean_response_loss(model, val_loader, accelerator)
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        accelerator.unwrap_model(model).save_pretrained(out)
        if save_with is not None:
            save_with.save_pretrained(out)
        plot_losses(metrics_path, out / "loss_curve.png")
    result = TrainResult(
        out=str(out), steps=state["step"], total_steps=total_steps, finished=state["step"] >= total_steps,
        examples=len(train_set), train_loss=last_loss,
        val_loss_before=state["val_loss_before"], val_loss_after=val_after, tokens=state["tokens"], wall_s=wall,
        tokens_per_s=(state["tokens"] - tokens_at_start) / max(compute_s, 1e-9),
        peak_memory_mb=peak_memory_mb(accelerator.device),
    )
    if accelerator.is_main_process:
        (out / "train_result.json").write_text(result.model_dump_json(indent=2))
    return result


def _save_checkpoint(accelerator, out: Path, state: dict) -> None:
    """Optimizer, scheduler, model and RNG state, then the counters; older checkpoints are dropped."""
    target = out / "checkpoints" / f"step-{state['step']}"
    accelerator.save_state(str(target))
    if accelerator.is_main_process:
        (target / "train_state.json").write_text(json.dumps(state))
        for older in (out / "checkpoints").glob("step-*"):
            if older != target:
                shutil.rmtree(older, ignore_errors=True)


def plot_losses(metrics_path: Path, out: Path) -> Path:
    """Training loss per optimizer step and validation loss where measured, from metrics.jsonl."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in Path(metrics_path).read_text().splitlines() if line.strip()]
    train_rows = [r for r in rows if r.get("loss") is not None]
    val_rows = [r for r in rows if r.get("val_loss") is not None]
    figure, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    ax.plot([r["step"] for r in train_rows], [r["loss"] for r in train_rows], label="training loss", lw=1)
    ax.plot([r["step"] for r in val_rows], [r["val_loss"] for r in val_rows], "o-", label="validation loss")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("response-token loss (nats)")
    ax.grid(alpha=0.3)
    ax.legend()
    figure.tight_layout()
    figure.savefig(out)
    plt.close(figure)
    return out


class LossProgress:
    """A rich progress bar showing the running training and validation loss."""

    def __init__(self, total: int, done: int, enabled: bool):
        self.enabled = enabled
        if not enabled:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            TextColumn("{task.fields[losses]}"),
        )
        self.progress.start()
        self.task = self.progress.add_task("train", total=total, completed=done, losses="")

    def update(self, step: int, loss: float | None, val_loss: float | None) -> None:
        if self.enabled:
            self.val = val_loss if val_loss is not None else getattr(self, "val", None)
            losses = f"loss {loss:.4f}" + (f"  val {self.val:.4f}" if self.val is not None else "")
            self.progress.update(self.task, completed=step, losses=losses)

    def close(self) -> None:
        if self.enabled:
            self.progress.stop()
