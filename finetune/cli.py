"""`geneverse finetune`: instruction data from the graph, LoRA / full SFT of language models, and LoRA of
LLaVA-style multimodal models."""

import math
from pathlib import Path

import typer

from kg.files import input_text_file, output_folder
from kg.output import console, emit
from tools.llm import LLMConfig

app = typer.Typer(help="Build instruction data from the graph and fine-tune language and multimodal models.",
                  no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON.")


def check_split(val_fraction: float, test_fraction: float, max_genes: int | None) -> None:
    """Shares of genes are numbers in 0..1 that leave some genes for training; counts are not negative."""
    for value, hint in ((val_fraction, "--val-fraction"), (test_fraction, "--test-fraction")):
        if math.isnan(value) or not 0 <= value <= 1:
            raise typer.BadParameter(f"{value} is not a share between 0 and 1", param_hint=hint)
    if val_fraction + test_fraction >= 1:
        raise typer.BadParameter(f"{val_fraction} + {test_fraction} leaves no genes for training",
                                 param_hint="--val-fraction / --test-fraction")
    if max_genes is not None and max_genes < 1:
        raise typer.BadParameter(f"{max_genes} is not a number of genes", param_hint="--max-genes")


def teacher_config(teacher: str | None) -> LLMConfig | None:
    """'default' (packaged model), an http(s) URL (OpenAI-compatible endpoint) or an HF model folder."""
    if teacher is None:
        return None
    if teacher == "default":
        return LLMConfig(adapter=None)
    if teacher.startswith(("http://", "https://")):
        return LLMConfig.from_env(backend="openai", base_url=teacher)
    return LLMConfig(backend="hf", model_path=teacher, adapter=None)


@app.command()
def data(
    out: str = typer.Option(..., help="Folder for train/val/test/heldout JSONL and the data card"),
    seed: int = typer.Option(13, help="Seed of the gene-level split"),
    val_fraction: float = typer.Option(0.05, help="Share of genes in validation"),
    test_fraction: float = typer.Option(0.05, help="Share of genes in test"),
    all_genes: bool = typer.Option(False, "--all-genes", help="Also genes without a RefSeq summary"),
    max_genes: int | None = typer.Option(None, help="Keep at most this many genes (quick builds)"),
    data_format: str = typer.Option(
        "paper", "--format", help="paper (the paper's prompt, answered from graph facts) or grounded (the gene's "
                                  "facts packet, answered with its RefSeq summary)"),
    teacher: str | None = typer.Option(
        None, help="Add synthetic descriptions of protein-coding genes from a teacher model: 'default', an HF "
                   "folder, or an OpenAI-compatible base URL (off by default)"),
    as_json: bool = JSON,
):
    """Instruction data for gene descriptions, built from the graph; the paper's 20 test genes are held out."""
    from finetune.data import DataConfig, write_dataset
    from kg.graph import open_graph

    check_split(val_fraction, test_fraction, max_genes)
    folder = output_folder(out, "--out")
    if data_format not in ("paper", "grounded"):
        raise typer.BadParameter("choose paper or grounded", param_hint="--format")
    config = DataConfig(seed=seed, val_fraction=val_fraction, test_fraction=test_fraction,
                        require_summary=not all_genes, max_genes=max_genes, teacher=teacher_config(teacher),
                        format=data_format)
    with open_graph() as graph, console.status("building instruction data", spinner="dots") as status:
        if as_json:
            status.stop()
        card = write_dataset(graph, folder, config)
    emit(card, as_json, lambda c: console.print(
        f"Wrote {out}: " + ", ".join(f"{n:,} {s}" for s, n in c["records"].items()) + f" (data card: {out}/README.md)"))


@app.command()
def llm(
    data: Path = typer.Option(..., help="Dataset folder (train.jsonl, val.jsonl) or one JSONL file"),
    out: Path = typer.Option(..., help="Output folder: adapter (or full model), checkpoints, metrics"),
    base: str = typer.Option("default", help="HF model folder, or 'default' for the packaged SmolLM2-135M"),
    full: bool = typer.Option(False, "--full", help="Full fine-tuning instead of LoRA"),
    mixed_precision: str = typer.Option("no", help="no, bf16 (fast on CPUs with AMX and recent GPUs) or fp16"),
    lora_r: int = typer.Option(8), lora_alpha: int = typer.Option(16), lora_dropout: float = typer.Option(0.05),
    lora_targets: str = typer.Option("q_proj,k_proj,v_proj,o_proj", help="Comma-separated module names"),
    lr: float = typer.Option(2e-4, help="Learning rate"),
    epochs: float = typer.Option(1.0),
    max_steps: int | None = typer.Option(None, help="Optimizer steps (overrides --epochs)"),
    cutoff_len: int = typer.Option(2048, help="Tokens per example (prompt + response)"),
    batch_size: int = typer.Option(4), grad_accum: int = typer.Option(1, help="Gradient accumulation steps"),
    warmup_steps: int = typer.Option(0),
    template: str = typer.Option("auto", help="auto (chat template when the model has one), chat, alpaca"),
    max_train_examples: int | None = typer.Option(None, help="Train on the first N training records"),
    max_val_examples: int = typer.Option(64, help="Validation records for the held-out loss"),
    eval_every: int = typer.Option(50), save_every: int = typer.Option(50),
    seed: int = typer.Option(42),
    resume: bool = typer.Option(True, help="Resume from the latest checkpoint in --out"),
    stop_after_steps: int | None = typer.Option(None, help="Pause with a checkpoint after N steps of this run"),
    as_json: bool = JSON,
):
    """Supervised fine-tuning (LoRA by default) of a causal LM; also runs under `accelerate launch`."""
    from finetune.sft import SFTConfig, train

    # A binary dataset or an output path that is a file is one message before the model loads.
    for jsonl in [data] if data.is_file() else [data / "train.jsonl", data / "val.jsonl"]:
        if jsonl.exists():
            input_text_file(jsonl, "--data")
    output_folder(out, "--out")
    if template not in ("auto", "chat", "alpaca"):
        raise typer.BadParameter("choose auto, chat or alpaca", param_hint="--template")
    if mixed_precision not in ("no", "bf16", "fp16"):
        raise typer.BadParameter("choose no, bf16 or fp16", param_hint="--mixed-precision")
    config = SFTConfig(
        base=base, data=str(data), out=str(out), full_finetune=full, mixed_precision=mixed_precision, lora_r=lora_r, lora_alpha=lora_alpha,
        lora_dropout=lora_dropout, lora_targets=[t.strip() for t in lora_targets.split(",") if t.strip()],
        learning_rate=lr, epochs=epochs, max_steps=max_steps, cutoff_len=cutoff_len, batch_size=batch_size,
        grad_accum=grad_accum, warmup_steps=warmup_steps, template=template,
        max_train_examples=max_train_examples, max_val_examples=max_val_examples, eval_every=eval_every,
        save_every=save_every, seed=seed, resume=resume, stop_after_steps=stop_after_steps,
    )
    result = train(config, progress=not as_json)
    from accelerate import PartialState

    if not PartialState().is_main_process:  # under `accelerate launch`, one report
        return
    emit(result, as_json, lambda r: console.print(
        f"{'Finished' if r.finished else 'Paused at'} step {r.steps}/{r.total_steps}: train loss {r.train_loss}, "
        f"validation loss {r.val_loss_before} -> {r.val_loss_after}, {r.tokens_per_s:.0f} tokens/s, "
        f"peak memory {r.peak_memory_mb:.0f} MB; saved to {r.out}"))


@app.command()
def mllm(
    task: str = typer.Option(..., help="protein (structure image -> protein name) or marker (spatial map -> yes/no)"),
    base: Path = typer.Option(..., help="Local LLaVA model folder (LlavaForConditionalGeneration + processor)"),
    out: Path = typer.Option(..., help="Output folder: adapter, processor, images, examples.jsonl, metrics"),
    structures: Path | None = typer.Option(None, help="Folder of PDB / mmCIF files (protein; default data/alphafold)"),
    adata: Path | None = typer.Option(None, help='AnnData .h5ad with obsm["spatial"] (marker; default PBMC 68k)'),
    groupby: str = typer.Option("bulk_labels", help="Cell-type column, for generated coordinates"),
    markers: Path | None = typer.Option(None, help="Marker table CSV (tissue, marker, manual_annotation)"),
    tissue: str | None = typer.Option("PBMC", help="Marker-table tissue to use ('all' for every row)"),
    image_size: int = typer.Option(336, help="Rendered image side in pixels"),
    max_examples: int | None = typer.Option(None),
    val_fraction: float = typer.Option(0.2, help="Share of images held out for validation"),
    lr: float = typer.Option(2e-4, help="Learning rate"),
    epochs: float = typer.Option(1.0), max_steps: int | None = typer.Option(None),
    batch_size: int = typer.Option(4), grad_accum: int = typer.Option(1),
    lora_r: int = typer.Option(8), lora_alpha: int = typer.Option(16),
    mixed_precision: str = typer.Option("no", help="no, bf16 or fp16"),
    seed: int = typer.Option(42),
    as_json: bool = JSON,
):
    """LoRA for a LLaVA-style model on protein-structure or spatial marker-gene images."""
    from finetune.mllm import MLLMConfig, train_mllm

    if task not in ("protein", "marker"):
        raise typer.BadParameter("choose protein or marker", param_hint="--task")
    if mixed_precision not in ("no", "bf16", "fp16"):
        raise typer.BadParameter("choose no, bf16 or fp16", param_hint="--mixed-precision")
    paths = {k: str(v) for k, v in (("structures", structures), ("adata", adata), ("markers", markers)) if v}
    config = MLLMConfig(
        task=task, base=str(base), out=str(out), groupby=groupby, tissue=None if tissue == "all" else tissue,
        image_size=image_size, max_examples=max_examples, val_fraction=val_fraction, learning_rate=lr,
        epochs=epochs, max_steps=max_steps, batch_size=batch_size, grad_accum=grad_accum, lora_r=lora_r,
        lora_alpha=lora_alpha, mixed_precision=mixed_precision, seed=seed, **paths,
    )
    if task == "protein":
        from kg.graph import open_graph

        with open_graph() as graph:
            result = train_mllm(config, graph, progress=not as_json)
    else:
        result = train_mllm(config, progress=not as_json)
    emit(result, as_json, lambda r: console.print(
        f"Trained the {task} model for {r.steps} steps on {r.examples} examples: validation loss "
        f"{r.val_loss_before} -> {r.val_loss_after}; saved to {r.out} (use it with GENEVERSE_MLLM_"
        f"{task.upper()}={r.out})"))


@app.command("parser-data")
def parser_data(
    out: Path = typer.Option(..., help="Folder for train / val / test JSONL and the data card"),
    per_shape: int = typer.Option(100, help="Question-plan pairs tried per plan shape"),
    seed: int = typer.Option(7),
    as_json: bool = JSON,
):
    """Only the parser's synthetic pairs (as `finetune parser` makes them): the test split is the parser
    benchmark's (`python -m evals.parser.bench_parser --data OUT/test.jsonl`)."""
    from finetune.parser_data import write_parser_data
    from kg.graph import open_graph

    output_folder(out, "--out")
    with open_graph() as graph:
        card = write_parser_data(graph, out, per_shape=per_shape, seed=seed)
    emit(card, as_json, lambda c: console.print(
        f"Parser pairs: {c['records']['train']:,} train, {c['records']['val']:,} validation, "
        f"{c['records']['test']:,} test; data card in {out / 'README.md'}"))


@app.command()
def parser(
    out: Path = typer.Option(Path("tools/adapters/geneverse-parser-smollm2-135m"),
                             help="Adapter folder: adapter, data card, loss curve, metrics"),
    base: str = typer.Option("default", help="HF model folder, or 'default' for the packaged SmolLM2-135M"),
    per_shape: int = typer.Option(100, help="Question-plan pairs tried per plan shape"),
    epochs: float = typer.Option(2.0), batch_size: int = typer.Option(16), lr: float = typer.Option(1e-3),
    lora_r: int = typer.Option(16), lora_alpha: int = typer.Option(32),
    mixed_precision: str = typer.Option("no", help="no, bf16 or fp16"),
    work: Path | None = typer.Option(None, help="Data and checkpoints (default GENEVERSE_HOME/finetune/parser)"),
    as_json: bool = JSON,
):
    """The semantic parser: synthetic execution-verified question -> plan pairs from the graph, and a LoRA of
    the base model trained on them; an interrupted run resumes from its checkpoints."""
    from finetune.parser import ParserTrainConfig, train_parser
    from kg.graph import open_graph

    output_folder(out, "--out")
    if mixed_precision not in ("no", "bf16", "fp16"):
        raise typer.BadParameter("choose no, bf16 or fp16", param_hint="--mixed-precision")
    config = ParserTrainConfig(out=str(out), base=base, per_shape=per_shape, epochs=epochs, batch_size=batch_size,
                               learning_rate=lr, lora_r=lora_r, lora_alpha=lora_alpha,
                               mixed_precision=mixed_precision, work=str(work) if work else None)
    with open_graph() as graph:
        result = train_parser(graph, config, progress=not as_json)
    emit(result, as_json, lambda r: console.print(
        f"Parser trained {r.steps}/{r.total_steps} steps on {r.examples} pairs: validation loss {r.val_loss_before}"
        f" -> {r.val_loss_after}, {r.tokens_per_s:.0f} tokens/s, {r.wall_s:.0f} s; adapter in {out}"))
