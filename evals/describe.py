"""The paper's Table 1 protocol: each system describes each gene, every answer is graded, and the
scores are tabulated (markdown, CSV), plotted (PNG) and kept raw.

Settings. In the normal setting the agent and the RAG system read the graph and the index, which
hold the very RefSeq summaries used as references: they can copy the answer. In the withheld
setting (`withheld=True`) the evaluated genes' summaries are left out of a separate graph build
and of a separate index (the same build code with `withhold_summaries`), so those systems must
generate rather than copy. References always come from the full graph.

Runs are resumable: each answer is appended to `raw/<system>.jsonl` as soon as it exists and a
re-run skips finished genes. Systems that never read the graph give the same answers in both
settings, so both settings share their raw file.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from evals.graders import (
    Grade,
    clustering_nmi,
    concept_recall,
    curated_concepts,
    function_text,
    go_slim_labels,
    grade,
    load_thresholds,
    pearson,
    reference_text,
)
from evals.systems import DEFAULT_SYSTEMS_FILE, Description, SystemSpec, build_system, select_specs
from finetune.data import PAPER_TEST_GENES, DataConfig, split_of
from kg.errors import GeneverseError
from kg.paths import data_dir
from retrieval.embedder import SentenceEmbedder
from retrieval.index import GeneIndex, progress_bar

METRICS = ("factual", "structural", "average", "bleu", "rouge1")
MIN_GENES_PER_LABEL = 4
MIN_GENES_PER_LOCUS_TYPE = 10


# ---------------------------------------------------------------- genes

def heldout_genes(graph: Any, n: int) -> list[str]:
    """The first `n` genes of the fine-tuning test split (genes with a RefSeq summary that training never
    saw), in the split's own seeded order; the paper's genes excluded."""
    config = DataConfig()
    rows = [{"gene_id": g.gene_id, "symbol": g.symbol} for g in graph.genes_with_summary()]
    paper = {s.upper() for s in PAPER_TEST_GENES}
    test = [r for r in rows if split_of(r["gene_id"], config) == "test" and r["symbol"].upper() not in paper]
    test.sort(key=lambda r: hashlib.sha256(f"{config.seed}:{r['gene_id']}".encode()).hexdigest())
    if len(test) < n:
        raise GeneverseError(f"Only {len(test)} held-out test genes have a summary; asked for {n}.")
    return [r["symbol"] for r in test[:n]]


def select_genes(spec: str, graph: Any) -> list[str]:
    """'paper20', 'heldout:N', or comma-separated gene names (resolved to official symbols)."""
    if spec == "paper20":
        names = list(PAPER_TEST_GENES)
    elif spec.startswith("heldout:"):
        try:
            n = int(spec.split(":", 1)[1])
        except ValueError as err:
            raise GeneverseError(f"--genes {spec}: expected heldout:N with a number N") from err
        return heldout_genes(graph, n)
    else:
        names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        raise GeneverseError("--genes names no gene")
    return [graph.gene(name).symbol for name in names]


# ---------------------------------------------------------------- settings

class Setting:
    """The graph and index the systems read: the normal ones, or builds without the genes' summaries."""

    def __init__(self, genes: list[str], withheld: bool, progress: bool):
        self.genes, self.withheld, self.progress = genes, withheld, progress
        self._graph: Any = None
        self._index: GeneIndex | None = None

    @property
    def name(self) -> str:
        return "withheld" if self.withheld else "normal"

    @property
    def root(self) -> Path:
        from kg.paths import home

        digest = hashlib.sha256("\n".join(sorted(self.genes)).encode()).hexdigest()[:12]
        return home() / "eval" / f"withheld-{digest}"

    def graph(self) -> Any:
        if self._graph is None:
            from kg.build import build_graph
            from kg.graph import open_graph
            from kg.paths import graph_dir

            if not self.withheld:
                self._graph = open_graph()
            else:
                if not graph_dir(self.root).exists():
                    build_graph(home=self.root, withhold_summaries=set(self.genes))
                self._graph = open_graph(home=self.root)
        return self._graph

    def index(self) -> GeneIndex:
        if self._index is None:
            main = GeneIndex.open()
            if main.count() == 0:
                raise GeneverseError(f"The gene index at {main.location} is empty. Build it: geneverse rag index")
            if not self.withheld:
                self._index = main
            else:
                self._index = self._withheld_index(main)
        return self._index

    def _withheld_index(self, main: GeneIndex) -> GeneIndex:
        """A copy of the main index with the genes' documents re-made without summaries (only those are
        embedded again). A marker file says the copy is complete; an incomplete one is made again."""
        folder, marker = self.root / "index", self.root / "index.complete"
        if os.environ.get("CHROMA_HOST"):
            collection = f"genes_{self.root.name.replace('-', '_')}"
            index = GeneIndex.open(embedder=main.embedder, collection=collection)
            if index.count() != main.count():
                index = main.clone(collection=collection)
        elif marker.is_file():
            return GeneIndex.open(folder, main.embedder)
        else:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(main.location, folder)  # a local Chroma folder copies whole, embeddings and all
            index = GeneIndex.open(folder, main.embedder)
        index.build(self.graph(), genes=self.genes, withhold_summaries=set(self.genes), progress=self.progress)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"genes": len(self.genes), "documents": index.count()}))
        return index


# ---------------------------------------------------------------- run

class SystemSummary(BaseModel):
    system: str
    label: str
    answers: int
    errors: int
    factual: float
    structural: float
    average: float
    bleu: float
    rouge1: float
    seconds_per_gene: float
    concept_recall: float | None = None
    median_words: float = 0.0
    go_slim_nmi: float | None = None
    go_slim_nmi_chance: float | None = None


class DescribeReport(BaseModel):
    genes: str
    setting: str
    n_genes: int
    systems: list[SystemSummary]
    pearson: dict[str, Any]
    reference_go_slim_nmi: float | None = None
    out: str
    files: list[str]


def raw_path(out: Path, spec: SystemSpec, withheld: bool) -> Path:
    suffix = ".withheld" if withheld and spec.reads_graph else ""
    return out / "raw" / f"{spec.name}{suffix}.jsonl"


def read_raw(path: Path) -> dict[str, Description]:
    done: dict[str, Description] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip():
                item = Description.model_validate_json(line)
                done[item.symbol] = item
    return done


def generate(spec: SystemSpec, genes: list[str], setting: Setting, out: Path, progress: bool) -> list[Description]:
    """Every gene's answer from this system, generating only those not yet on disk."""
    path = raw_path(out, spec, setting.withheld)
    done = read_raw(path)
    todo = [g for g in genes if g not in done]
    if todo:
        system = build_system(spec, setting.graph() if spec.kind in ("agent", "template") else None,
                              setting.index() if spec.kind == "rag" else None, out / "generations.jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        with progress_bar(progress, f"{spec.name} ({setting.name})", len(todo)) as advance, path.open("a") as sink:
            for start in range(0, len(todo), system.batch_size):
                batch = todo[start : start + system.batch_size]
                for item in system.describe_batch(batch):
                    done[item.symbol] = item
                    sink.write(item.model_dump_json() + "\n")
                sink.flush()
                advance(len(batch))
    return [done[g] for g in genes]


def run_describe(system_names: list[str], genes_spec: str, out: Path, withheld: bool = False,
                 systems_file: Path = DEFAULT_SYSTEMS_FILE, progress: bool = True,
                 plots: bool = True, max_genes: int | None = None) -> DescribeReport:
    """Run, grade and report. `max_genes` evaluates the first genes of the selection only, while the
    withheld setting still withholds the whole selection (so growing runs share one withheld build)."""
    from kg.graph import open_graph

    specs = select_specs(system_names, systems_file)
    truth = open_graph()
    selection = select_genes(genes_spec, truth)
    genes = selection[:max_genes] if max_genes else selection
    setting = Setting(selection, withheld, progress)
    out.mkdir(parents=True, exist_ok=True)
    answers = {spec.name: generate(spec, genes, setting, out, progress) for spec in specs}

    thresholds = load_thresholds()
    references = _references(truth, genes)
    embedder = SentenceEmbedder()
    rows: list[dict[str, Any]] = []
    records = {g: truth.gene(g) for g in genes}
    concepts = {g: curated_concepts(records[g].summary, [t.name for t in truth.go_terms(g)]) for g in genes}
    slim_labels = go_slim_labels(truth, genes, data_dir() / "go" / "goslim_generic.obo")
    nmi: dict[str, tuple[float, float] | None] = {}
    reference_vectors = embedder.encode([function_text(references[g][0], records[g]) for g in genes])
    reference_nmi = _nmi(embedder.encode([references[g][0] for g in genes]), genes, slim_labels)
    for spec in specs:
        vectors = embedder.encode([function_text(a.text, records[a.symbol]) for a in answers[spec.name]])
        nmi[spec.name] = _nmi(embedder.encode([a.text for a in answers[spec.name]]), genes, slim_labels)
        similarities = (vectors * reference_vectors).sum(axis=1)
        for i, (gene_symbol, answer) in enumerate(zip(genes, answers[spec.name], strict=True)):
            reference, source = references[gene_symbol]
            graded: Grade = grade(answer.text, records[gene_symbol], reference, float(similarities[i]), thresholds)
            recall = concept_recall(answer.text, concepts[gene_symbol])
            rows.append({"system": spec.name, "gene": gene_symbol, "setting": setting.name,
                         "locus_type": records[gene_symbol].locus_type or "", "reference_source": source,
                         "seconds": round(answer.seconds, 3),
                         "error": answer.error or "", **graded.flat(),
                         "curated_concepts": len(concepts[gene_symbol]),
                         "concept_recall": "" if recall is None else round(recall, 4), "answer": answer.text})

    summaries = [_summary(spec, [r for r in rows if r["system"] == spec.name], nmi[spec.name]) for spec in specs]
    correlations = _correlations(rows, summaries)
    tag = f"{_slug(genes_spec)}{f'-first{len(genes)}' if len(genes) < len(selection) else ''}_{setting.name}"
    files = _write_outputs(out, tag, rows, summaries, correlations, genes_spec, setting.name, plots, reference_nmi)
    return DescribeReport(genes=genes_spec, setting=setting.name, n_genes=len(genes), systems=summaries,
                          pearson=correlations, reference_go_slim_nmi=reference_nmi[0] if reference_nmi else None,
                          out=str(out), files=[str(f) for f in files])


def _references(truth: Any, genes: list[str]) -> dict[str, tuple[str, str]]:
    references = {}
    for symbol in genes:
        gene = truth.gene(symbol)
        terms: dict[str, list[str]] = defaultdict(list)
        if not gene.summary:
            for term in truth.go_terms(symbol, direct_only=True):
                terms[term.aspect].append(term.name)
        references[symbol] = reference_text(gene, terms)
    return references


def _nmi(vectors: Any, genes: list[str], labels: dict[str, str]) -> tuple[float, float] | None:
    """Clustering NMI against GO-slim labels and its chance level, over the genes whose label is shared by
    at least MIN_GENES_PER_LABEL genes; None when too few remain for it to mean anything (NMI of k-means
    with k near n is high for any embedding)."""
    counts = Counter(labels[g] for g in genes if g in labels)
    keep = [i for i, g in enumerate(genes) if counts.get(labels.get(g, ""), 0) >= MIN_GENES_PER_LABEL]
    n_labels = len({labels[genes[i]] for i in keep})
    if len(keep) < 50 or n_labels < 2 or n_labels > len(keep) / 5:
        return None
    nmi, chance = clustering_nmi(vectors[keep], [labels[genes[i]] for i in keep])
    return round(nmi, 4), round(chance, 4)


def _summary(spec: SystemSpec, rows: list[dict[str, Any]], nmi: tuple[float, float] | None) -> SystemSummary:
    def mean(key: str) -> float:
        return round(statistics.fmean(r[key] for r in rows), 4) if rows else 0.0

    recalls = [r["concept_recall"] for r in rows if r["concept_recall"] != ""]
    return SystemSummary(system=spec.name, label=spec.label or spec.name, answers=len(rows),
                         errors=sum(1 for r in rows if r["error"]), factual=mean("factual"),
                         structural=mean("structural"), average=mean("average"), bleu=mean("bleu"),
                         rouge1=mean("rouge1"), seconds_per_gene=mean("seconds"),
                         concept_recall=round(statistics.fmean(recalls), 4) if recalls else None,
                         median_words=statistics.median(r["s_words"] for r in rows) if rows else 0.0,
                         go_slim_nmi=nmi[0] if nmi else None, go_slim_nmi_chance=nmi[1] if nmi else None)


def _correlations(rows: list[dict[str, Any]], summaries: list[SystemSummary]) -> dict[str, Any]:
    """Pearson r of BLEU and ROUGE-1 with the average score: over answers and over systems (the paper's)."""
    result: dict[str, Any] = {}
    for metric in ("bleu", "rouge1"):
        r, p = pearson([row[metric] for row in rows], [row["average"] for row in rows])
        result[f"{metric}_vs_average_answers"] = {"r": r, "p": p, "n": len(rows)}
        r, p = pearson([getattr(s, metric) for s in summaries], [s.average for s in summaries])
        result[f"{metric}_vs_average_systems"] = {"r": r, "p": p, "n": len(summaries)}
    return result


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text)[:40]


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _write_outputs(out: Path, tag: str, rows: list[dict[str, Any]], summaries: list[SystemSummary],
                   correlations: dict[str, Any], genes_spec: str, setting: str, plots: bool,
                   reference_nmi: tuple[float, float] | None) -> list[Path]:
    files = []
    grades = out / f"grades_{tag}.csv"
    with grades.with_name(f".{grades.name}.tmp").open("w", newline="") as sink:
        writer = csv.DictWriter(sink, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(grades.with_name(f".{grades.name}.tmp"), grades)
    files.append(grades)

    table_csv = out / f"table1_{tag}.csv"
    header = ["system", "label", "answers", "errors", *METRICS, "concept_recall", "median_words", "go_slim_nmi",
              "go_slim_nmi_chance", "seconds_per_gene"]
    lines = [",".join(header)] + [",".join(f'"{v}"' if isinstance(v, str) else "" if v is None else str(v)
                                           for v in (getattr(s, h) for h in header)) for s in summaries]
    _atomic_write(table_csv, "\n".join(lines) + "\n")
    files.append(table_csv)

    table_md = out / f"table1_{tag}.md"
    _atomic_write(table_md, render_markdown(summaries, correlations, genes_spec, setting, rows, reference_nmi))
    files.append(table_md)
    if plots:
        files.extend(_plot(out, tag, summaries))
    return files


def render_markdown(summaries: list[SystemSummary], correlations: dict[str, Any], genes_spec: str, setting: str,
                    rows: list[dict[str, Any]], reference_nmi: tuple[float, float] | None = None) -> str:
    lines = [f"# Table 1: gene function descriptions ({genes_spec}, {setting} setting)", "",
             (f"Generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; greedy decoding, "
             f"{len({r['gene'] for r in rows})} genes."), "",
             ("| system | factual | structural | average | BLEU | ROUGE-1 | curated-concept recall | words (median) "
              "| GO-slim NMI (chance) | s/gene (CPU) | answers |"),
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        recall = "n/a" if s.concept_recall is None else f"{s.concept_recall:.3f}"
        lines.append(f"| {s.label} | {s.factual:.3f} | {s.structural:.3f} | {s.average:.3f} | {s.bleu:.2f} | "
                     f"{s.rouge1:.3f} | {recall} | {s.median_words:g} | "
                     f"{_nmi_cell(s.go_slim_nmi, s.go_slim_nmi_chance)} | {s.seconds_per_gene:.1f} | {s.answers} |")
    lines += ["", "Sub-checks (fraction of answers passing):", "",
              ("| system | symbol | full name | no wrong id | content | one paragraph | academic | pathway | "
              "no repetition | length |"), "|---|---|---|---|---|---|---|---|---|---|"]
    checks = ["f_symbol_right", "f_full_name_right", "f_no_wrong_identifier", "f_content_matches",
              "s_one_paragraph", "s_academic_register", "s_pathway_information", "s_no_degenerate_repetition",
              "s_length_within_bounds"]
    for s in summaries:
        mine = [r for r in rows if r["system"] == s.system]
        cells = [f"{statistics.fmean(float(r[c]) for r in mine):.2f}" for c in checks]
        lines.append(f"| {s.label} | " + " | ".join(cells) + " |")
    lines += _by_locus_type(summaries, rows)
    lines += ["", "Pearson correlation with the average score:", ""]
    for key, value in correlations.items():
        r = "n/a" if value["r"] is None else f"{value['r']:.3f} (p={value['p']:.2g})"
        lines.append(f"- {key.replace('_', ' ')}: r = {r}, n = {value['n']}")
    sources = defaultdict(int)
    for r in rows:
        if r["system"] == summaries[0].system:
            sources[r["reference_source"]] += 1
    lines += ["", "References: " + ", ".join(f"{k} for {v} genes" for k, v in sources.items()) + "."]
    with_concepts = sum(1 for r in rows if r["system"] == summaries[0].system and r["curated_concepts"])
    lines += ["", (f"Curated-concept recall: the gene's GO terms (direct and implied ancestors, the aspects' roots left "
                   f"out) at least three quarters of whose content-word stems its RefSeq summary uses are its curated "
                   f"concepts; recall is the share of them the answer states by the same test, averaged over the "
                   f"{with_concepts} genes that have any (`evals.graders.curated_concepts`).")]
    if reference_nmi:
        lines += ["", (f"GO-slim NMI: k-means of answer embeddings against each gene's most specific GO-slim process, "
                       f"over the genes whose label has at least {MIN_GENES_PER_LABEL} genes; chance = the same "
                       f"clusters against shuffled labels. The references themselves score "
                       f"{_nmi_cell(*reference_nmi)}.")]
    return "\n".join(lines) + "\n"


def _by_locus_type(summaries: list[SystemSummary], rows: list[dict[str, Any]]) -> list[str]:
    """Factual score per locus type with at least MIN_GENES_PER_LOCUS_TYPE genes: some types (microRNAs) have
    near-identical RefSeq summaries, so naming the type is most of matching the reference."""
    first = [r for r in rows if r["system"] == summaries[0].system]
    counts = Counter(r["locus_type"] for r in first)
    kinds = [k for k, n in counts.most_common() if n >= MIN_GENES_PER_LOCUS_TYPE]
    if len(kinds) < 2:
        return []
    lines = ["", "Factual score by locus type (genes):", "",
             "| system | " + " | ".join(f"{k or 'unknown'} ({counts[k]})" for k in kinds) + " |",
             "|---|" + "---|" * len(kinds)]
    for s in summaries:
        cells = [statistics.fmean(r["factual"] for r in rows if r["system"] == s.system and r["locus_type"] == k)
                 for k in kinds]
        lines.append(f"| {s.label} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    return lines


def _nmi_cell(nmi: float | None, chance: float | None) -> str:
    return "n/a" if nmi is None else f"{nmi:.3f} ({chance:.3f})"


def _plot(out: Path, tag: str, summaries: list[SystemSummary]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    for metric in METRICS:
        fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(summaries), 3.2))
        values = [getattr(s, metric) for s in summaries]
        ax.bar([s.system for s in summaries], values, color="#4C72B0")
        for i, v in enumerate(values):
            ax.text(i, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
        ax.set_ylabel(metric)
        ax.set_title(f"{metric} ({tag})", fontsize=9)
        fig.tight_layout()
        path = out / "plots" / f"{tag}_{metric}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        files.append(path)
    return files
