"""Track reports: findings, their explanation, a plot and provenance, for predicted or observed tracks."""

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from kg.paths import home
from tools.tracks.catalog import TrackInfo, observed_track, predicted_tracks
from tools.tracks.errors import ModelNotConfigured, SequenceError, TrackFileError
from tools.tracks.explain import check_against_findings, describe, rewrite
from tools.tracks.findings import Findings, FindingsConfig, find
from tools.tracks.model import LoadedEnformer, ModelConfig, load_enformer
from tools.tracks.observed import read_bigwigs
from tools.tracks.plot import plot_tracks
from tools.tracks.predict import Layout, Prediction, layout_around_gene, predict_genes
from tools.tracks.sequence import GenomeFasta

FASTA_ENV = "GENEVERSE_GENOME_FASTA"
PLOT_FILE = "tracks.png"


class TrackProvenance(BaseModel):
    tool: str = "tools.tracks"
    records: list[str] = Field([], description="graph records: the gene, then the ENCODE experiments reported")
    model: str | None = None
    weights: str | None = None
    source: str | None = Field(None, description="sequence source, or the bigWig files")
    prediction_dir: str | None = None


class TrackReport(BaseModel):
    gene: str | None
    kind: Literal["predicted", "observed"]
    findings: Findings
    text: str = Field(description="deterministic explanation; states only what the findings hold")
    plot_path: str | None = None
    rewritten_text: str | None = Field(None, description="language-model rewrite, after checking against the findings")
    dropped_sentences: list[str] = Field([], description="rewrite sentences removed by the check")
    provenance: TrackProvenance


def build_report(
    signal: np.ndarray, tracks: list[TrackInfo], layout: Layout, *, kind: Literal["predicted", "observed"],
    provenance: TrackProvenance, plot_path: str | Path | None = None, llm=None,
    config: FindingsConfig | None = None,
) -> TrackReport:
    findings = find(signal, tracks, layout, kind=kind, config=config)
    text = describe(findings)
    experiments = sorted({e for g in [*findings.promoter, *findings.gene_body] for e in g.experiments})
    records = ([findings.gene_id] if findings.gene_id else []) + experiments
    report = TrackReport(
        gene=findings.gene, kind=kind, findings=findings, text=text,
        provenance=provenance.model_copy(update={"records": records}),
    )
    if plot_path is not None:
        report.plot_path = str(plot_tracks(signal, tracks, layout, findings, plot_path))
    if llm is not None:
        checked = check_against_findings(rewrite(text, llm), findings, tracks)
        report.rewritten_text, report.dropped_sentences = checked.text, checked.dropped
        report.provenance.model = f"{report.provenance.model or ''}; rewrite: {llm.name}".lstrip("; ")
    return report


def explain_prediction(
    folder: str | Path, *, graph, plot_path: str | Path | None = None, llm=None, config: FindingsConfig | None = None
) -> TrackReport:
    """Explain a saved prediction folder; the plot goes to `plot_path` (default: into the folder)."""
    prediction = Prediction.load(folder)
    meta = prediction.meta
    catalog = predicted_tracks(graph, max(meta.track_indices) + 1)
    tracks = [catalog[i] for i in meta.track_indices]
    return build_report(
        prediction.signal, tracks, meta.layout, kind="predicted", llm=llm, config=config,
        plot_path=plot_path or Path(folder) / PLOT_FILE,
        provenance=TrackProvenance(model=meta.model, weights=meta.weights, source=meta.source,
                                   prediction_dir=str(folder)),
    )


_REGION = re.compile(r"^(chr)?([0-9XYM]{1,2}|MT):([\d,]+)-([\d,]+)$", re.IGNORECASE)


def parse_region(text: str) -> tuple[str, int, int]:
    """'chr8:11,676,959-11,760,002' -> ('chr8', 11676959, 11760002), 1-based inclusive."""
    match = _REGION.match(text.strip())
    if not match:
        raise SequenceError(f"region {text!r} must look like chr8:11676959-11760002")
    start, end = int(match[3].replace(",", "")), int(match[4].replace(",", ""))
    if end < start:
        raise SequenceError(f"region {text!r} ends before it starts")
    return f"chr{match[2].upper().replace('MT', 'M')}", start, end


def explain_observed(
    bigwigs: list[str], specs: list[str], *, graph, gene: str | None = None, region: str | None = None,
    bin_size: int = 128, n_bins: int = 896, plot_path: str | Path | None = None, llm=None,
    config: FindingsConfig | None = None,
) -> TrackReport:
    """Explain measured bigWig tracks around a gene's TSS (from the graph) or a region's centre.
    `specs[i]` names `bigwigs[i]`: ASSAY:TARGET:BIOSAMPLE, ASSAY:BIOSAMPLE or an ENCODE accession."""
    if not bigwigs:
        raise TrackFileError("give at least one --bigwig file")
    if len(specs) != len(bigwigs):
        raise TrackFileError(f"give one --track per --bigwig: {len(bigwigs)} files but {len(specs)} track names")
    if (gene is None) == (region is None):
        raise TrackFileError("name either a gene or a region for the observed tracks")
    if gene is not None:
        layout = layout_around_gene(graph.gene(gene), bin_size=bin_size, n_bins=n_bins)
    else:
        chromosome, start, end = parse_region(region)
        layout = Layout(bin_size=bin_size, n_bins=n_bins, chromosome=chromosome,
                        span_start=(start + end) // 2 - n_bins * bin_size // 2)
    tracks = [observed_track(spec, path, graph) for spec, path in zip(specs, bigwigs)]
    return build_report(
        read_bigwigs(bigwigs, layout), tracks, layout, kind="observed", plot_path=plot_path, llm=llm,
        config=config, provenance=TrackProvenance(source=", ".join(bigwigs)),
    )


@lru_cache(maxsize=1)
def _cached_model(config_json: str) -> LoadedEnformer:
    return load_enformer(ModelConfig.model_validate_json(config_json))


def cached_model(config: ModelConfig) -> LoadedEnformer:
    """The Enformer of `config`, loaded once and kept for the next call with the same configuration."""
    return _cached_model(config.model_dump_json())


def configured_genome(fasta: str | None = None) -> str:
    """The genome FASTA: `fasta` or GENEVERSE_GENOME_FASTA; raises with how to set it when neither is given."""
    fasta = fasta or os.environ.get(FASTA_ENV)
    if not fasta:
        raise ModelNotConfigured(
            f"no genome FASTA configured: pass a GRCh38 FASTA (e.g. hg38.fa) or set {FASTA_ENV}=PATH"
        )
    return fasta


def explain_gene_tracks(
    gene: str, *, graph, fasta: str | None = None, weights: str | None = None, prediction_dir: str | None = None,
    llm=None, reverse_complement_average: bool = False,
) -> TrackReport:
    """Explain the regulatory tracks around `gene`: from a saved prediction folder, or by predicting
    them now with Enformer weights (`weights` or GENEVERSE_ENFORMER_WEIGHTS) and a genome FASTA
    (`fasta` or GENEVERSE_GENOME_FASTA). The prediction is kept under $GENEVERSE_HOME/tracks/GENE."""
    symbol = graph.gene(gene).symbol
    if prediction_dir is None:
        config = ModelConfig.from_env(weights)
        fasta = configured_genome(fasta)
        loaded = cached_model(config)
        prediction = predict_genes([symbol], graph=graph, genome=GenomeFasta(fasta), loaded=loaded,
                                   reverse_complement_average=reverse_complement_average)[0]
        prediction_dir = str(prediction.save(home() / "tracks" / symbol))
    report = explain_prediction(prediction_dir, graph=graph, llm=llm)
    if report.gene != symbol:
        raise TrackFileError(f"{prediction_dir} holds a prediction for {report.gene or 'a region'}, not {symbol}")
    return report
