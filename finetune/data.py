"""Instruction data built from the gene graph, following the paper.

Each record pairs the paper's instruction ("Please summarize the major function of gene: X ...") with a
response written from graph facts: official symbol and full name, HGNC and Ensembl ids, locus type,
cytoband, the function from the RefSeq summary, and GO biological-process terms as pathway information.
Variants: graph-only (default), and graph plus synthetic descriptions of protein-coding genes written by
a teacher model when one is configured. The `grounded` format pairs the gene's facts packet (the graph's
facts without its summary, as `tools.describe` prompts the model) with its RefSeq summary, so a model learns
to write the curated text from the facts. The paper's 20 test genes are held out of every split; the rest
are split into train / validation / test by gene, deterministically from a seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from kg.errors import GeneverseError
from kg.models import Gene
from kg.sources.refseq_summary import clean_summary
from tools.llm import DESCRIBE_PROMPT, LLMConfig, load_llm

# The paper's held-out genes (Geneverse, arXiv 2406.15534, evaluation set).
PAPER_TEST_GENES = (
    "HEATR5B", "ZNF385A", "ZNF226", "IGKV2D-36", "RPL37P24", "FGF7", "LRRC7", "MIR6721", "SRD5A3", "MIR608",
    "EOGT", "CASP10", "CYCSP32", "HSPA1L", "SLC30A10", "GLI1", "RPS4XP1", "RPS27AP8", "CCL23", "ACSS3",
)
SPLITS = ("train", "val", "test")
MAX_PATHWAY_TERMS = 8

TEACHER_PROMPT = (
    "Write one paragraph in academic language describing the major function of the human gene {symbol} "
    "({name}), including pathway information. Facts to use: {facts}"
)


class InstructionRecord(BaseModel):
    """One Alpaca-style pair; the gene fields are empty for instruction data from elsewhere."""

    instruction: str
    input: str = ""
    output: str
    gene_id: str = ""
    symbol: str = ""
    source: str = Field("user", description="'graph', 'teacher:<model name>' or 'user'")
    split: str = "train"


class DataConfig(BaseModel):
    seed: int = 13
    val_fraction: float = 0.05
    test_fraction: float = 0.05
    require_summary: bool = Field(True, description="only genes with a RefSeq summary (the function text)")
    max_genes: int | None = Field(None, description="cap on genes, taken in a seeded random order (quick builds)")
    teacher: LLMConfig | None = Field(None, description="teacher model for synthetic descriptions; off by default")
    format: Literal["paper", "grounded"] = Field(
        "paper", description="paper: the paper's prompt answered from graph facts; grounded: facts packet -> summary")


def describe_from_graph(gene: Gene, pathway_terms: list[str]) -> str:
    """The reference description of a gene, from graph facts only."""
    ids = [i for i in (gene.hgnc_id, f"Ensembl {gene.ensembl_id}" if gene.ensembl_id else None) if i]
    kind = f"a {gene.locus_type}" if gene.locus_type else "a gene"
    where = f", located at {gene.cytoband}" if gene.cytoband else ""
    parts = [f"{gene.symbol} ({gene.name or gene.symbol}; {', '.join(ids) or 'no HGNC id'}) is {kind}{where}."]
    if summary := clean_summary(gene.summary):
        parts.append(summary)
    if pathway_terms:
        parts.append(f"It takes part in the biological processes {'; '.join(pathway_terms)}.")
    return " ".join(parts)


def split_of(gene_id: str, config: DataConfig) -> str:
    """train / val / test by a seeded hash of the gene id: stable across runs, machines and graph sizes."""
    bucket = int(hashlib.sha256(f"{config.seed}:{gene_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if bucket < config.val_fraction:
        return "val"
    if bucket < config.val_fraction + config.test_fraction:
        return "test"
    return "train"


def _pathway_terms(graph) -> dict[str, list[str]]:
    """Direct GO biological-process terms per symbol, the broadest (most genes) first, as pathway context."""
    names = graph.go_term_names()
    by_symbol: dict[str, list[tuple[int, str]]] = {}
    for go_id, symbols in graph.go_annotations("BP", direct_only=True).items():
        for symbol in symbols:
            by_symbol.setdefault(symbol, []).append((-len(symbols), names.get(go_id, go_id)))
    return {symbol: [name for _, name in sorted(terms)][:MAX_PATHWAY_TERMS] for symbol, terms in by_symbol.items()}


def _candidate_genes(graph, config: DataConfig, held: dict[str, str]) -> list[Gene]:
    """Genes worth a record: those with a summary and the held-out genes (every gene without
    `require_summary`)."""
    if config.require_summary:
        genes = {g.gene_id: g for g in graph.genes_with_summary()}
        genes.update((g.gene_id, g) for g in graph.genes([i for i in held if i not in genes]))
    else:
        genes = {g.gene_id: g for g in graph.all_genes()}
    return sorted(genes.values(), key=lambda g: g.gene_id)


def held_out_gene_ids(graph, symbols: Iterable[str] = PAPER_TEST_GENES) -> dict[str, str]:
    """Gene id -> symbol of the held-out genes, resolved through the graph (aliases included)."""
    held = {}
    for symbol in symbols:
        for candidate in graph.resolve(symbol).top:
            held[candidate.gene_id] = candidate.symbol
    return held


def build_records(graph, config: DataConfig) -> tuple[list[InstructionRecord], list[InstructionRecord]]:
    """(split records, held-out records). Held-out records carry the graph reference for evaluation."""
    held = held_out_gene_ids(graph)
    genes = _candidate_genes(graph, config, held)
    pathways = _pathway_terms(graph)
    records, held_records = [], []
    for gene in genes:
        if gene.gene_id not in held and config.require_summary and not clean_summary(gene.summary):
            continue  # a summary of only a curation note
        record = InstructionRecord(
            gene_id=gene.gene_id,
            symbol=gene.symbol,
            instruction=DESCRIBE_PROMPT.format(symbol=gene.symbol),
            output=describe_from_graph(gene, pathways.get(gene.symbol, [])),
            source="graph",
            split="heldout" if gene.gene_id in held else split_of(gene.gene_id, config),
        )
        (held_records if gene.gene_id in held else records).append(record)
    # a seeded order independent of the split hash, so a capped subset keeps the split proportions
    records.sort(key=lambda r: (hashlib.sha256(f"order:{config.seed}:{r.gene_id}".encode()).hexdigest(), r.gene_id))
    if config.max_genes is not None:
        records = records[: config.max_genes]
    if config.format == "grounded":
        records = grounded_records(graph, records)
        held_records = grounded_records(graph, held_records)
    if config.teacher is not None:
        records += teacher_records(records, {g.gene_id: g for g in genes}, config.teacher)
    return records, held_records


def grounded_records(graph, records: list[InstructionRecord]) -> list[InstructionRecord]:
    """The same genes as facts-packet prompts answered with their RefSeq summary. The packet never holds the
    gene's own summary (the answer must come from the facts), and genes whose summary is empty are dropped."""
    from tools.describe import facts_packet, grounded_prompt

    grounded = []
    for record in records:
        packet = facts_packet(record.gene_id, graph, include_summary=False)
        summary = clean_summary(graph.gene(record.gene_id).summary)
        if summary:
            grounded.append(record.model_copy(update={"instruction": grounded_prompt(packet), "output": summary,
                                                      "source": "graph:grounded"}))
    return grounded


def teacher_records(
    records: list[InstructionRecord], genes: dict[str, Gene], teacher: LLMConfig
) -> list[InstructionRecord]:
    """Synthetic descriptions of the protein-coding training genes, grounded in their graph facts."""
    model = load_llm(teacher)
    chosen = [r for r in records if r.split == "train" and genes[r.gene_id].is_protein_coding]
    prompts = [
        TEACHER_PROMPT.format(symbol=r.symbol, name=genes[r.gene_id].name or r.symbol, facts=r.output) for r in chosen
    ]
    outputs = []
    for start in range(0, len(prompts), 8):
        outputs += model.generate_batch(prompts[start : start + 8])
    return [
        r.model_copy(update={"output": text, "source": f"teacher:{model.name}"})
        for r, text in zip(chosen, outputs, strict=True)
        if text
    ]


def write_atomic(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temp, path)


def write_dataset(graph, out: Path, config: DataConfig | None = None) -> dict:
    """Write train/val/test/heldout JSONL and a data card (JSON and Markdown) into `out`; return the card."""
    config = config or DataConfig()
    records, held_records = build_records(graph, config)
    if not records:
        raise GeneverseError("The graph yielded no instruction records (is it built with RefSeq summaries?).")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    by_split: dict[str, list[InstructionRecord]] = {s: [] for s in (*SPLITS, "heldout")}
    for record in records + held_records:
        by_split[record.split].append(record)
    for split, rows in by_split.items():
        write_atomic(out / f"{split}.jsonl", "".join(r.model_dump_json() + "\n" for r in rows))
    card = {
        "name": "geneverse-gene-descriptions",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "format": config.format,
        "instruction": DESCRIBE_PROMPT if config.format == "paper" else _grounded_prompt_template(),
        "records": {s: len(rows) for s, rows in by_split.items()},
        "genes": {s: len({r.gene_id for r in rows}) for s, rows in by_split.items()},
        "sources": dict(Counter(r.source for r in records)),
        "split": {"by": "gene id", "seed": config.seed, "val_fraction": config.val_fraction,
                  "test_fraction": config.test_fraction},
        "held_out_genes": list(PAPER_TEST_GENES),
        "held_out_found_in_graph": sorted(r.symbol for r in held_records),
        "config": config.model_dump(mode="json"),
        "graph": {"backend": graph.backend_name, "manifest": graph.manifest},
    }
    write_atomic(out / "data_card.json", json.dumps(card, indent=2) + "\n")
    write_atomic(out / "README.md", render_card(card))
    return card


FORMAT_TEXT = {
    "paper": """- Instruction (the paper's): "{instruction}"
- Response: official symbol and full name, HGNC and Ensembl ids, locus type, cytoband, the function from
  the RefSeq summary (curation notes removed), and up to {terms} direct GO biological-process
  terms (the broadest first) as pathway information.""",
    "grounded": """- Instruction: the gene's facts packet from the graph (never its own summary) in the agent's prompt:
  "{instruction}"
- Response: the gene's RefSeq summary (curation notes removed).""",
}


def _grounded_prompt_template() -> str:
    from tools.describe import GROUNDED_PROMPT

    return GROUNDED_PROMPT


def render_card(card: dict) -> str:
    rows = "\n".join(f"| {s} | {card['records'][s]} | {card['genes'][s]} |" for s in card["records"])
    sources = ", ".join(f"{k}: {v}" for k, v in card["sources"].items())
    return f"""# Data card: {card['name']}

Instruction / response pairs for gene function descriptions, built from the Geneverse gene graph
(backend: {card['graph']['backend']}) on {card['created']}.

{FORMAT_TEXT[card.get('format', 'paper')].format(instruction=card['instruction'], terms=MAX_PATHWAY_TERMS)}
- Sources of responses: {sources}.
- Split by gene id with seed {card['split']['seed']} (validation {card['split']['val_fraction']},
  test {card['split']['test_fraction']}); a gene is in exactly one split.
- Held out of every split: the paper's 20 test genes ({', '.join(card['held_out_genes'])});
  `heldout.jsonl` holds the graph reference for the {len(card['held_out_found_in_graph'])} found in the graph.

| split | records | genes |
|---|---|---|
{rows}

Graph data releases: see `data_card.json` (`graph.manifest`).
"""


def read_records(path: Path) -> list[InstructionRecord]:
    """Records of one JSONL file; a malformed line is a clear error naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise GeneverseError(f"No dataset file at {path}.")
    records = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if line.strip():
                try:
                    records.append(InstructionRecord.model_validate_json(line))
                except ValueError as err:
                    raise GeneverseError(f"{path}:{number}: not an instruction record ({err.__class__.__name__})")
    return records
