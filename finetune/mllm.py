"""LoRA fine-tuning of a LLaVA-style model on the paper's two multimodal tasks.

- protein: structure images rendered from PDB / mmCIF files (AlphaFold models, coloured by pLDDT),
  asked "What is the name of this protein?", answered with the graph's name of the protein's gene.
- marker: spatial maps of tissue coloured by one gene's expression (an AnnData with obsm["spatial"], as
  Visium or Xenium data come), asked "Is gene X a marker gene of cell type Y?", answered Yes / No from
  real marker lists. Data without spatial measurements get generated coordinates (one patch per cell
  type), recorded as such in the dataset file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from finetune.render import generated_layout, read_structure, render_spatial_expression, render_structure
from finetune.sft import IGNORE_INDEX, TrainConfig, TrainResult, fit
from kg.errors import GeneverseError
from kg.paths import data_dir
from tools.mllm import MARKER_QUESTION, PROTEIN_QUESTION, llava_prompt, open_image

STRUCTURE_SUFFIXES = (".pdb", ".cif", ".mmcif")


class MultimodalExample(BaseModel):
    image: str
    question: str
    answer: str
    source: str = Field(description="the record behind the answer, e.g. 'UniProt:Q9GZY4 -> HGNC:26059'")
    split: str = "train"


class MLLMConfig(TrainConfig):
    task: Literal["protein", "marker"]
    base: str = Field(description="a local LLaVA model folder (LlavaForConditionalGeneration + processor)")
    structures: str = Field(str(data_dir() / "alphafold"), description="folder of PDB / mmCIF files (protein)")
    adata: str = Field(str(data_dir() / "singlecell" / "pbmc68k_reduced.h5ad"), description="AnnData (marker)")
    groupby: str = Field("bulk_labels", description="obs column of cell types, for generated coordinates")
    markers: str = Field(str(data_dir() / "markers" / "gptcelltype_all_marker_annotations.csv"))
    tissue: str | None = Field("PBMC", description="marker-list rows of this tissue only (None: all)")
    max_examples: int | None = None
    val_fraction: float = 0.2
    cutoff_len: int = 1024
    image_size: int = 336


def protein_examples(graph, structures: Path, image_dir: Path, image_size: int) -> list[MultimodalExample]:
    """One image per structure file whose UniProt accession the graph knows."""
    if not Path(structures).is_dir():
        raise GeneverseError(f"No folder of structures at {structures}.")
    files = sorted(p for p in Path(structures).iterdir() if p.suffix.lower() in STRUCTURE_SUFFIXES)
    if not files:
        raise GeneverseError(f"No PDB or mmCIF files in {structures}.")
    examples = []
    for path in files:
        structure = read_structure(path)
        gene = graph.by_uniprot(structure.accession) if structure.accession else None
        if gene is None:
            continue
        image = render_structure(structure, image_dir / f"{path.stem}.png", size=image_size)
        examples.append(MultimodalExample(
            image=str(image), question=PROTEIN_QUESTION, answer=f"{gene.name} ({gene.symbol})",
            source=f"UniProt:{structure.accession} -> {gene.gene_id}"))
    return examples


def marker_lists(path: Path, tissue: str | None) -> list[tuple[str, list[str]]]:
    """(cell type, marker genes) rows of the marker table, manual annotations, one tissue if asked."""
    import pandas as pd

    if not Path(path).is_file():
        raise GeneverseError(f"No marker table at {path}.")
    table = pd.read_csv(path)
    missing = {"tissue", "marker", "manual_annotation"} - set(table.columns)
    if missing:
        raise GeneverseError(f"{path} lacks the marker-table columns {sorted(missing)}.")
    if tissue is not None:
        table = table[table["tissue"].str.lower() == tissue.lower()]
    return [(row.manual_annotation, [g.strip() for g in row.marker.split(",") if g.strip()])
            for row in table.itertuples() if isinstance(row.marker, str)]


def marker_examples(adata, lists: list[tuple[str, list[str]]], image_dir: Path, image_size: int,
                    seed: int) -> list[MultimodalExample]:
    """Yes for each measured marker of a cell type; No for as many measured markers of other cell types
    that are not markers of this one (drawn with a fixed seed). One image per gene, shared by questions."""
    measured = set(adata.raw.var_names if adata.raw is not None else adata.var_names)
    rng = np.random.default_rng(seed)
    all_markers = sorted({g for _, genes in lists for g in genes} & measured)
    examples, images = [], {}

    def image_of(gene: str) -> str:
        if gene not in images:
            images[gene] = str(render_spatial_expression(adata, gene, image_dir / f"{gene}.png", size=image_size))
        return images[gene]

    for cell_type, genes in lists:
        positives = [g for g in genes if g in measured]
        others = [g for g in all_markers if g not in genes]
        negatives = list(rng.choice(others, size=min(len(positives), len(others)), replace=False)) if others else []
        for gene, answer in [(g, "Yes") for g in positives] + [(g, "No") for g in negatives]:
            examples.append(MultimodalExample(
                image=image_of(gene), question=MARKER_QUESTION.format(gene=gene, cell_type=cell_type),
                answer=answer, source=f"marker list: {cell_type}"))
    return examples


def load_spatial(path: Path, groupby: str, seed: int):
    """The AnnData, with generated coordinates when it carries no spatial measurements (said in `uns`)."""
    import anndata

    if not Path(path).is_file():
        raise GeneverseError(f"No AnnData file at {path}.")
    try:
        adata = anndata.read_h5ad(path)
    except (OSError, KeyError, ValueError) as err:
        raise GeneverseError(f"Cannot read {path} as AnnData (.h5ad): {err}") from None
    if "spatial" not in adata.obsm:
        if groupby not in adata.obs:
            raise GeneverseError(f'{path} has neither obsm["spatial"] nor the cell-type column {groupby!r}.')
        adata.obsm["spatial"] = generated_layout(adata, groupby, seed)
        adata.uns["spatial_coordinates"] = f"generated: one patch per {groupby} group (seed {seed})"
    return adata


def build_examples(config: MLLMConfig, graph=None) -> list[MultimodalExample]:
    out = Path(config.out).expanduser()
    image_dir = out / "images"
    if config.task == "protein":
        if graph is None:
            raise GeneverseError("The protein task needs the gene graph for protein names.")
        examples = protein_examples(graph, Path(config.structures), image_dir, config.image_size)
        coordinates = None
    else:
        adata = load_spatial(Path(config.adata), config.groupby, config.seed)
        lists = marker_lists(Path(config.markers), config.tissue)
        examples = marker_examples(adata, lists, image_dir, config.image_size, config.seed)
        coordinates = adata.uns.get("spatial_coordinates", "measured (obsm['spatial'])")
    if not examples:
        raise GeneverseError(f"No {config.task} examples could be built from the given files.")
    examples = examples[: config.max_examples]
    for example in examples:  # split by image, so one image never sits in two splits
        bucket = int(hashlib.sha256(f"{config.seed}:{Path(example.image).name}".encode()).hexdigest()[:8], 16)
        example.split = "val" if bucket / 0xFFFFFFFF < config.val_fraction else "train"
    out.mkdir(parents=True, exist_ok=True)
    with (out / "examples.jsonl").open("w") as lines:
        for example in examples:
            lines.write(json.dumps({**example.model_dump(), "coordinates": coordinates}) + "\n")
    return examples


def encode_example(processor, example: MultimodalExample, cutoff_len: int) -> dict:
    """input_ids (image tokens expanded by the processor), labels on the answer only, pixel values."""
    inputs = processor(images=open_image(example.image), text=llava_prompt(processor, example.question),
                       return_tensors="pt")
    tokenizer = processor.tokenizer
    prompt_ids = inputs["input_ids"][0].tolist()
    answer_ids = tokenizer(" " + example.answer, add_special_tokens=False).input_ids + [tokenizer.eos_token_id]
    if len(prompt_ids) >= cutoff_len:
        raise GeneverseError(f"The prompt with its image tokens ({len(prompt_ids)}) exceeds cutoff_len {cutoff_len}.")
    return {
        "input_ids": (prompt_ids + answer_ids)[:cutoff_len],
        "labels": ([IGNORE_INDEX] * len(prompt_ids) + answer_ids)[:cutoff_len],
        "pixel_values": inputs["pixel_values"][0],
    }


def train_mllm(config: MLLMConfig, graph=None, progress: bool = True) -> TrainResult:
    """LoRA on the language model's attention projections plus a fully trained vision-language projector;
    the vision tower stays frozen. Writes the adapter, the processor and examples.jsonl into `out`."""
    from accelerate.utils import set_seed
    from peft import LoraConfig, get_peft_model
    from transformers import AutoProcessor, LlavaForConditionalGeneration

    base = Path(config.base).expanduser().resolve()
    if not (base / "config.json").is_file():
        raise GeneverseError(f"No LLaVA model folder at {base} (config.json missing).")
    set_seed(config.seed)
    examples = build_examples(config, graph)
    processor = AutoProcessor.from_pretrained(base)
    model = LlavaForConditionalGeneration.from_pretrained(base)
    lora = LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules=r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj)",
        modules_to_save=["multi_modal_projector"],
    )
    model = get_peft_model(model, lora)
    encoded = {s: [encode_example(processor, e, config.cutoff_len) for e in examples if e.split == s]
               for s in ("train", "val")}
    if not encoded["train"]:
        raise GeneverseError("Every example fell into validation; lower --val-fraction.")
    pad_id = processor.tokenizer.pad_token_id or processor.tokenizer.eos_token_id
    return fit(model, encoded["train"], encoded["val"][: config.max_val_examples], config, pad_id,
               save_with=processor, progress=progress)
