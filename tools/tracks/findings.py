"""From signal tracks to findings: structured numbers about the promoter, the gene body and peaks.

Every value is measured against the flanking background of the same track (its median over the
bins that are neither promoter nor gene body), so tracks of different scale compare by fold.
"""

import math
from collections import defaultdict
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from tools.tracks.catalog import TrackInfo, assay_label
from tools.tracks.predict import Layout

# What a promoter mark says about the gene; marks outside these classes are reported by name only.
MARK_CLASSES = {
    "DNase": "accessible chromatin", "ATAC": "accessible chromatin",
    "H3K27ac": "active histone marks", "H3K4me3": "active histone marks", "H3K9ac": "active histone marks",
    "H3K4me2": "active histone marks", "H3K4me1": "enhancer histone marks",
    "CAGE": "transcription initiation",
    "H3K36me3": "transcription elongation", "H3K79me2": "transcription elongation",
    "H3K27me3": "repressive histone marks", "H3K9me3": "repressive histone marks",
}
ACTIVITY_CLASSES = ("accessible chromatin", "active histone marks", "transcription initiation")


class FindingsConfig(BaseModel):
    promoter_bp: int = Field(1000, description="promoter = TSS +/- this many bp")
    min_fold: float = Field(2.0, description="a track is enriched when signal / background reaches this")
    max_biosamples: int = Field(8, description="biosamples kept in the ranking")
    max_gene_body: int = Field(8, description="gene-body mark findings kept")
    max_peaks: int = Field(6, description="peaks kept")


class MarkSignal(BaseModel):
    """One mark in one biosample over one region, from one or more replicate tracks."""

    mark: str
    assay: str
    biosample: str
    region: Literal["promoter", "gene body"]
    signal: float = Field(description="mean signal over the region (mean over tracks)")
    background: float = Field(description="flanking background (mean over tracks)")
    fold: float = Field(description="median over tracks of (signal + c) / (background + c)")
    n_tracks: int
    tracks: list[str] = Field(description="track names")
    indices: list[int] = Field([], description="Enformer output indices")
    experiments: list[str] = Field([], description="ENCODE experiment accessions")


class BiosampleRank(BaseModel):
    rank: int
    biosample: str
    n_marks: int
    marks: list[str]
    mean_fold: float


class Agreement(BaseModel):
    biosample: str
    marks: list[str]
    classes: list[str] = Field(description="classes of activity evidence present among the marks")
    agree: bool = Field(description="at least two of accessible chromatin, active histone marks, transcription initiation")


class Peak(BaseModel):
    mark: str
    biosample: str
    track: str
    offset_from_tss: int = Field(description="bp from the TSS (or centre) along the gene's strand; negative = upstream")
    position: int | None = Field(None, description="genomic summit position when the coordinates are known")
    location: Literal["promoter", "gene body", "upstream", "downstream"]
    height: float
    fold: float
    width_bp: int


class Findings(BaseModel):
    kind: Literal["predicted", "observed"]
    gene: str | None = None
    gene_id: str | None = None
    chromosome: str | None = None
    tss: int | None = Field(None, description="genomic TSS (or window centre for a region) when known")
    strand: str | None = None
    assembly: str | None = None
    bin_size: int
    n_bins: int
    n_tracks: int
    promoter_bp: int
    min_fold: float
    n_active_tracks: int = Field(description="tracks enriched at the promoter")
    active_tracks: dict[str, int] = Field(description="tracks enriched at the promoter, by assay")
    n_active_biosamples: int
    promoter: list[MarkSignal]
    gene_body: list[MarkSignal]
    biosamples: list[BiosampleRank]
    agreement: list[Agreement]
    peaks: list[Peak]

    def biosample_names(self) -> set[str]:
        groups = [*self.promoter, *self.gene_body, *self.peaks, *self.biosamples, *self.agreement]
        return {g.biosample for g in groups}

    def mark_names(self) -> set[str]:
        """Marks the findings name, including assays counted in `active_tracks`."""
        counted = {assay_label(a) for a, n in self.active_tracks.items() if n}
        return {m.mark for m in [*self.promoter, *self.gene_body, *self.peaks]} | counted


def round3(value: float) -> float:
    """Three significant digits: what the explanation prints, so text and findings agree."""
    if value == 0 or not math.isfinite(value):
        return 0.0
    return round(value, 2 - math.floor(math.log10(abs(value))))


def _bins_overlapping(layout: Layout, start: int, end: int) -> np.ndarray:
    edges = np.arange(layout.n_bins) * layout.bin_size
    return (edges + layout.bin_size > start) & (edges < end)


def _regions(layout: Layout, promoter_bp: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    anchor = layout.anchor
    promoter = _bins_overlapping(layout, anchor - promoter_bp, anchor + promoter_bp + 1)
    body = np.zeros(layout.n_bins, dtype=bool)
    if layout.gene is not None:
        body = _bins_overlapping(layout, layout.gene.start, layout.gene.end) & ~promoter
    flank = ~promoter & ~body
    if flank.sum() < 10:  # a gene that fills the window: compare against everything but the promoter
        flank = ~promoter
    return promoter, body, flank


def find(
    signal: np.ndarray, tracks: list[TrackInfo], layout: Layout, *, kind: Literal["predicted", "observed"],
    config: FindingsConfig | None = None,
) -> Findings:
    """Findings for `signal` (bins x tracks) whose columns are described by `tracks`."""
    config = config or FindingsConfig()
    signal = np.nan_to_num(np.asarray(signal, dtype=np.float64))
    promoter, body, flank = _regions(layout, config.promoter_bp)
    background = np.median(signal[flank], axis=0)
    pseudo = 0.1 * signal.mean(axis=0) + 1e-9  # keeps near-empty tracks from giving huge folds
    promoter_mean = signal[promoter].mean(axis=0)
    promoter_fold = (promoter_mean + pseudo) / (background + pseudo)
    has_body = bool(body.any())
    body_mean = signal[body].mean(axis=0) if has_body else np.zeros(len(tracks))
    body_fold = (body_mean + pseudo) / (background + pseudo)

    def groups(fold: np.ndarray, mean: np.ndarray, region: str) -> list[MarkSignal]:
        by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
        for column, track in enumerate(tracks):
            by_key[(track.mark, track.biosample)].append(column)
        found = []
        for (mark, biosample), columns in by_key.items():
            group_fold = float(np.median(fold[columns]))
            if group_fold < config.min_fold:
                continue
            found.append(MarkSignal(
                mark=mark, assay=tracks[columns[0]].assay, biosample=biosample, region=region,
                signal=round3(float(mean[columns].mean())), background=round3(float(background[columns].mean())),
                fold=round3(group_fold), n_tracks=len(columns), tracks=[tracks[c].name for c in columns],
                indices=[tracks[c].index for c in columns if tracks[c].index is not None],
                experiments=sorted({tracks[c].experiment for c in columns if tracks[c].experiment}),
            ))
        return sorted(found, key=lambda g: (-g.fold, g.mark, g.biosample))

    all_promoter_groups = groups(promoter_fold, promoter_mean, "promoter")
    ranking = _rank_biosamples(all_promoter_groups, config.max_biosamples)
    kept = {r.biosample for r in ranking}
    promoter_groups = [g for g in all_promoter_groups if g.biosample in kept]
    body_groups = groups(body_fold, body_mean, "gene body")[: config.max_gene_body] if has_body else []
    active = promoter_fold >= config.min_fold
    gene = layout.gene
    return Findings(
        kind=kind, gene=gene.symbol if gene else None, gene_id=gene.gene_id if gene else None,
        chromosome=layout.chromosome, tss=layout.genomic(layout.anchor), strand=gene.strand if gene else None,
        assembly=layout.assembly, bin_size=layout.bin_size, n_bins=layout.n_bins, n_tracks=len(tracks),
        promoter_bp=config.promoter_bp, min_fold=config.min_fold, n_active_tracks=int(active.sum()),
        active_tracks={a: int(sum(active[c] for c, t in enumerate(tracks) if t.assay == a))
                       for a in sorted({t.assay for t in tracks})},
        n_active_biosamples=len({g.biosample for g in all_promoter_groups}),
        promoter=promoter_groups, gene_body=body_groups, biosamples=ranking,
        agreement=_agreement(promoter_groups, ranking),
        peaks=_peaks(signal, tracks, layout, [*promoter_groups, *body_groups], background, pseudo, config),
    )


def _rank_biosamples(groups: list[MarkSignal], limit: int) -> list[BiosampleRank]:
    """Biosamples by the number of marks enriched at the promoter, then by their mean fold."""
    marks: dict[str, list[MarkSignal]] = defaultdict(list)
    for g in groups:
        marks[g.biosample].append(g)
    ordered = sorted(marks.items(), key=lambda kv: (-len(kv[1]), -np.mean([g.fold for g in kv[1]]), kv[0]))
    return [
        BiosampleRank(rank=rank, biosample=biosample, n_marks=len(found), marks=[g.mark for g in found],
                      mean_fold=round3(float(np.mean([g.fold for g in found]))))
        for rank, (biosample, found) in enumerate(ordered[:limit], start=1)
    ]


def _agreement(groups: list[MarkSignal], ranking: list[BiosampleRank]) -> list[Agreement]:
    found = []
    for rank in ranking:
        marks = [g.mark for g in groups if g.biosample == rank.biosample]
        present = {MARK_CLASSES.get(m) for m in marks}
        classes = [c for c in dict.fromkeys(MARK_CLASSES.values()) if c in present]
        found.append(Agreement(biosample=rank.biosample, marks=marks, classes=classes,
                               agree=sum(c in ACTIVITY_CLASSES for c in classes) >= 2))
    return found


def _peaks(signal, tracks, layout: Layout, groups: list[MarkSignal], background, pseudo, config) -> list[Peak]:
    """Half-maximum peaks of the strongest track of each reported mark, strongest first."""
    column_of = {t.name: c for c, t in enumerate(tracks)}
    found: dict[tuple, Peak] = {}
    for group in groups:
        column = max((column_of[name] for name in group.tracks), key=lambda c: signal[:, c].max())
        for peak in _track_peaks(signal[:, column], tracks[column], layout, background[column], pseudo[column], config):
            found.setdefault((peak.track, peak.offset_from_tss), peak)
    return sorted(found.values(), key=lambda p: (-p.fold, p.track))[: config.max_peaks]


def _track_peaks(values, track: TrackInfo, layout: Layout, background, pseudo, config) -> list[Peak]:
    threshold = background + 0.5 * (values.max() - background)
    above = np.concatenate([[False], values >= threshold, [False]])
    starts, ends = np.flatnonzero(~above[:-1] & above[1:]), np.flatnonzero(above[:-1] & ~above[1:])
    peaks = []
    for first, last in zip(starts, ends):
        summit = first + int(np.argmax(values[first:last]))
        fold = (values[summit] + pseudo) / (background + pseudo)
        if fold < config.min_fold:
            continue
        centre = summit * layout.bin_size + layout.bin_size // 2
        peaks.append(Peak(
            mark=track.mark, biosample=track.biosample, track=track.name,
            offset_from_tss=_along_strand(layout, centre), position=layout.genomic(centre),
            location=_location(layout, centre, config.promoter_bp), height=round3(float(values[summit])),
            fold=round3(float(fold)), width_bp=int(last - first) * layout.bin_size,
        ))
    return peaks


def _along_strand(layout: Layout, offset: int) -> int:
    distance = offset - layout.anchor
    return -distance if layout.gene and layout.gene.strand == "-" else distance


def _location(layout: Layout, offset: int, promoter_bp: int) -> str:
    if abs(offset - layout.anchor) <= promoter_bp:
        return "promoter"
    gene = layout.gene
    if gene and gene.start <= offset < gene.end:
        return "gene body"
    return "upstream" if _along_strand(layout, offset) < 0 else "downstream"
