"""What a variant does, in words: findings from its track effects, the explanation, a plot and the saved folder.

Every number in the explanation is a rounded value held in the findings; the findings name the tracks by
the graph's catalogue (assay, target, biosample, ENCODE experiment) and the nearest genes by the graph's
GRCh38 TSSs.
"""

import csv
import io
import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from kg.errors import GeneverseError
from kg.graph import TRACK_ASSAYS
from tools.tracks.catalog import TrackInfo, predicted_tracks
from tools.tracks.errors import TrackFileError
from tools.tracks.explain import HISTONE_MARK, number
from tools.tracks.findings import round3
from tools.tracks.model import LoadedEnformer
from tools.tracks.plot import plot_variant
from tools.tracks.predict import atomic_write
from tools.tracks.variant import (
    VCF_SUFFIXES,
    SkippedLine,
    Variant,
    VariantConfig,
    VariantEffects,
    parse_variant,
    read_vcf,
)

REPORT_FILE, EFFECTS_FILE = "variants.json", "effects.tsv"
MAX_REQUEST_VARIANTS = 20  # per question or tool call; more go through `geneverse tracks variant --vcf`
NEAREST_WITHIN = 1_000_000  # bp searched on each side for the nearest TSSs
# What each kind of track measures, said once per explanation for the kinds it names.
MEASURES = {
    "accessible chromatin": "DNase and ATAC measure chromatin accessibility",
    "histone": "histone ChIP-seq measures chromatin marks (H3K27ac and H3K4me3 at active promoters and enhancers, "
               "H3K4me1 at enhancers, H3K36me3 and H3K79me2 over transcribed genes, H3K27me3 and H3K9me3 at "
               "repressed chromatin)",
    "binding": "ChIP-seq of a transcription factor or other protein measures where it binds",
    "transcription initiation": "CAGE measures transcription start activity",
}


class TrackEffect(BaseModel):
    index: int = Field(description="Enformer human output index")
    track: str
    assay: str
    mark: str
    biosample: str
    experiment: str | None = None
    sad: float = Field(description="alt - ref summed over the central bins")
    log2fc: float = Field(description="log2((alt + 1) / (ref + 1)) over the central bins")
    percentile: float | None = Field(None, description="percentile of |SAD| among the background's |SAD|")
    z: float | None = Field(None, description="z-score of SAD against the background")
    peak_offset_bp: int = Field(description="bp from the variant to the bin where alt and ref differ most")


class EffectGroup(BaseModel):
    """Strong tracks of one mark in one biosample changing the same way."""

    mark: str
    assay: str
    biosample: str
    measures: str = Field(description="what the tracks measure")
    direction: Literal["higher", "lower"] = Field(description="signal with the alt allele against ref")
    n_tracks: int
    log2fc: float = Field(description="mean over the group's tracks")
    sad: float = Field(description="mean over the group's tracks")
    percentile: float | None = Field(None, description="highest over the group's tracks")
    z: float | None = Field(None, description="mean over the group's tracks")
    indices: list[int]


class NearbyGene(BaseModel):
    symbol: str
    gene_id: str
    strand: str | None
    tss: int
    distance_bp: int = Field(description="|variant - TSS|")
    side: Literal["upstream", "downstream", "at the TSS"] = Field(description="where the variant lies along the "
                                                                             "gene's strand")
    inside: bool = Field(description="whether the variant lies between the gene's start and end")


class VariantFindings(BaseModel):
    variant: Variant
    label: str
    assembly: str | None = Field(None, description="GRCh38 for genome variants; none for a raw sequence")
    n_tracks: int = Field(description="tracks ranked (after the assay / biosample filter)")
    filters: dict[str, str] = Field({}, description="the assay, target or biosample the tracks were limited to")
    central_bins: int
    central_bp: int
    shifts: list[int]
    reverse_complement: bool
    background: str | None = Field(None, description="what the effects were compared with")
    n_background: int = 0
    n_beyond_background: int | None = Field(None, description="tracks whose |SAD| exceeds every background variant's")
    top: list[TrackEffect]
    groups: list[EffectGroup]
    nearest_genes: list[NearbyGene]


class VariantReport(BaseModel):
    variant: str
    findings: VariantFindings
    text: str = Field(description="the explanation; states only what the findings hold")
    plot_path: str | None = None
    model: str
    weights: str | None = None
    source: str = Field(description="where the sequence came from")
    records: list[str] = Field([], description="graph records: nearest genes, then ENCODE experiments reported")


class VariantRun(BaseModel):
    reports: list[VariantReport]
    skipped: list[SkippedLine] = Field([], description="VCF lines or alleles not scored, with why")
    folder: str | None = None


def _kind(track: TrackInfo) -> str:
    if track.assay in ("DNASE", "ATAC"):
        return "accessible chromatin"
    if track.assay == "CAGE":
        return "transcription initiation"
    return "histone" if HISTONE_MARK.fullmatch(track.mark) else "binding"


def _ranking(effects: VariantEffects, columns: np.ndarray) -> np.ndarray:
    """Columns strongest first: against the background when there is one, else by |log2FC|."""
    if effects.background_sad is not None:
        keys = (-np.abs(effects.log2fc[columns]), -np.abs(effects.z[columns]), -effects.percentile[columns])
    else:
        keys = (-np.abs(effects.sad[columns]), -np.abs(effects.log2fc[columns]))
    return columns[np.lexsort(keys)]


def nearest_genes(graph, variant: Variant, limit: int = 3) -> list[NearbyGene]:
    """The genes whose GRCh38 TSS is closest to the variant (within 1 Mb), closest first."""
    if variant.chromosome is None:
        return []
    found = graph.genes_in_region(variant.chromosome.removeprefix("chr"), max(1, variant.position - NEAREST_WITHIN),
                                  variant.position + NEAREST_WITHIN)
    placed = [g for g in found if g.tss is not None]
    placed.sort(key=lambda g: (abs(variant.position - g.tss), g.symbol))
    nearby = []
    for gene in placed[:limit]:
        along = (variant.position - gene.tss) * (-1 if gene.strand == "-" else 1)
        side = "at the TSS" if along == 0 else ("upstream" if along < 0 else "downstream")
        inside = gene.start is not None and gene.end is not None and gene.start <= variant.position <= gene.end
        nearby.append(NearbyGene(symbol=gene.symbol, gene_id=gene.gene_id, strand=gene.strand, tss=gene.tss,
                                 distance_bp=abs(variant.position - gene.tss), side=side, inside=inside))
    return nearby


def find_effects(
    effects: VariantEffects, tracks: list[TrackInfo], config: VariantConfig, *, graph=None,
    columns: list[int] | None = None, filters: dict[str, str] | None = None, top: int = 10,
) -> VariantFindings:
    """Findings for one scored variant; `columns` limits the ranking to some tracks (an assay, a biosample)."""
    chosen = np.arange(len(tracks)) if columns is None else np.asarray(columns)
    if len(chosen) == 0:
        raise TrackFileError("no track is left to rank after the filters")
    ranked = _ranking(effects, chosen)[:top]
    percentile, z = effects.percentile, effects.z

    def effect(column: int) -> TrackEffect:
        track = tracks[column]
        return TrackEffect(
            index=track.index if track.index is not None else column, track=track.name, assay=track.assay,
            mark=track.mark, biosample=track.biosample, experiment=track.experiment,
            sad=round3(float(effects.sad[column])), log2fc=round3(float(effects.log2fc[column])),
            percentile=None if percentile is None else round(float(percentile[column]), 1),
            z=None if z is None else round3(float(z[column])), peak_offset_bp=int(effects.peak_offset[column]))

    top_effects = [effect(int(c)) for c in ranked]
    beyond = None if percentile is None else int((percentile[chosen] >= 100.0).sum())
    variant = effects.variant
    return VariantFindings(
        variant=variant, label=variant.label, assembly="GRCh38" if variant.chromosome else None,
        n_tracks=len(chosen), filters=filters or {}, central_bins=config.central_bins,
        central_bp=config.central_bins * effects.bin_size, shifts=config.shifts,
        reverse_complement=config.reverse_complement, background=effects.background_kind,
        n_background=0 if effects.background_sad is None else len(effects.background_sad),
        n_beyond_background=beyond, top=top_effects,
        groups=_groups(top_effects, [tracks[int(c)] for c in ranked]),
        nearest_genes=nearest_genes(graph, variant) if graph is not None else [],
    )


def _groups(effects: list[TrackEffect], tracks: list[TrackInfo]) -> list[EffectGroup]:
    grouped: dict[tuple[str, str, str], list[tuple[TrackEffect, TrackInfo]]] = {}
    for found, track in zip(effects, tracks):
        direction = "higher" if found.sad > 0 else "lower"
        grouped.setdefault((found.mark, found.biosample, direction), []).append((found, track))
    groups = []
    for (mark, biosample, direction), members in grouped.items():
        found = [m for m, _ in members]
        groups.append(EffectGroup(
            mark=mark, assay=found[0].assay, biosample=biosample, measures=_kind(members[0][1]),
            direction=direction, n_tracks=len(found), log2fc=round3(float(np.mean([f.log2fc for f in found]))),
            sad=round3(float(np.mean([f.sad for f in found]))),
            percentile=None if found[0].percentile is None else max(f.percentile for f in found),
            z=None if found[0].z is None else round3(float(np.mean([f.z for f in found]))),
            indices=[f.index for f in found]))
    return groups


def _signed(value: float) -> str:
    return f"+{number(value)}" if value > 0 else number(value)


def describe_variant(findings: VariantFindings) -> str:
    """The explanation of one variant's findings, one paragraph."""
    f = findings
    where = f" ({f.assembly})" if f.assembly else " (on the given sequence)"
    limited = f", limited to {', '.join(f'{k} {v}' for k, v in f.filters.items())}" if f.filters else ""
    averaged = [a for a, on in (("the reverse complement", f.reverse_complement),
                                (f"{number(len(f.shifts))} shifts", len(f.shifts) > 1)) if on]
    sentences = [
        f"Enformer predictions for {f.label}{where}: these are model predictions, not measurements. "
        f"{number(f.n_tracks)} {'track was' if f.n_tracks == 1 else 'tracks were'} scored{limited}; each effect is the alt minus ref signal summed over the "
        f"{number(f.central_bins)} bins ({number(f.central_bp)} bp) around the variant (SAD), with its log2 fold "
        "change" + (f", averaged over {' and '.join(averaged)}" if averaged else "") + "."
    ]
    if f.background:
        sentences.append(f"Against a background of {f.background}, {number(f.n_beyond_background)} of the "
                         f"{number(f.n_tracks)} tracks change more than with any background variant.")
    else:
        sentences.append("No background variants were scored, so the sizes are not compared with other variants.")
    if f.groups:
        alt = f.variant.alt
        said = []
        for g in f.groups:
            size = f"log2 fold change {_signed(g.log2fc)}, SAD {_signed(g.sad)}"
            if g.percentile is not None:
                up_to = "up to " if g.n_tracks > 1 else ""
                size += f", percentile {up_to}{number(g.percentile)}, z {_signed(g.z)}"
            noun = "track" if g.n_tracks == 1 else "tracks"
            said.append(f"{g.mark} in {g.biosample} ({number(g.n_tracks)} {noun}): {g.direction} with {alt} ({size})")
        sentences.append(f"Strongest effects: {'; '.join(said)}.")
        first = f.top[0]
        sentences.append(f"In the strongest track ({first.track}), alt and ref differ most "
                         f"{_signed(first.peak_offset_bp)} bp from the variant.")
    if f.nearest_genes:
        genes = [f"{g.symbol} (the variant {'at its TSS' if g.side == 'at the TSS' else ''}"
                 f"{'' if g.side == 'at the TSS' else f'{number(g.distance_bp)} bp {g.side} of its TSS'}"
                 f"{', inside the gene' if g.inside else ''})" for g in f.nearest_genes]
        sentences.append(f"Nearest genes by TSS: {', '.join(genes)}.")
    elif f.assembly is None:
        sentences.append("The sequence has no genome coordinates, so no nearby genes are named.")
    measured = [MEASURES[kind] for kind in MEASURES if any(g.measures == kind for g in f.groups)]
    if measured:
        sentences.append(f"What the tracks measure: {'; '.join(measured)}.")
    return " ".join(sentences)


def _matching_columns(graph, tracks: list[TrackInfo], assay: str | None, target: str | None,
                      biosample: str | None) -> tuple[list[int] | None, dict[str, str]]:
    """Track columns of an assay (or a ChIP target written as the assay), target and biosample, by the graph."""
    if not (assay or target or biosample):
        return None, {}
    if assay and assay.strip().lower() not in TRACK_ASSAYS and assay.strip().upper() not in TRACK_ASSAYS.values():
        assay, target = None, target or assay  # 'H3K27ac' is a ChIP target
    filters = {k: v for k, v in (("assay", assay), ("target", target), ("biosample", biosample)) if v}
    indices = {t.index for t in graph.tracks(assay=assay, target=target, biosample=biosample)}
    columns = [c for c, t in enumerate(tracks) if t.index in indices]
    if not columns:
        wanted = " ".join(filters.values())
        raise TrackFileError(f"no Enformer track measures {wanted}; `geneverse query 'Which biosamples have "
                             f"{assay or target or 'DNase'} tracks?'` lists what there is")
    return columns, filters


def explain_variants(
    variants: list[Variant], *, source, loaded: LoadedEnformer, graph, config: VariantConfig | None = None,
    background: list[Variant] | None = None, background_source=None, assay: str | None = None,
    target: str | None = None, biosample: str | None = None, top: int = 10, out: str | Path | None = None,
    source_name: str = "", skipped: list[SkippedLine] | None = None, plot_tracks: int = 4,
) -> VariantRun:
    """Score, explain and (with `out`) save each variant: variants.json, effects.tsv (every track) and one plot
    per variant of ref, alt and their difference in its strongest tracks."""
    from tools.tracks.variant import score_variant

    config = config or VariantConfig()
    tracks = predicted_tracks(graph, loaded.num_tracks)
    columns, filters = _matching_columns(graph, tracks, assay, target, biosample)
    folder = Path(out) if out is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    reports, scored = [], []
    for variant in variants:
        effects = score_variant(variant, source, loaded, config, background=background,
                                background_source=background_source)
        findings = find_effects(effects, tracks, config, graph=graph, columns=columns, filters=filters, top=top)
        experiments = sorted({e.experiment for e in findings.top if e.experiment})
        report = VariantReport(
            variant=variant.label, findings=findings, text=describe_variant(findings), model=loaded.name,
            weights=loaded.config.weights, source=source_name,
            records=[g.gene_id for g in findings.nearest_genes] + experiments)
        if folder is not None and findings.top:
            plotted = findings.top[:plot_tracks]
            column_of = {t.index: c for c, t in enumerate(tracks)}
            report.plot_path = str(plot_variant(
                effects.ref, effects.alt, [column_of[t.index] for t in plotted], [t.track for t in plotted],
                effects.bin_size, f"{variant.label}: predicted ref and alt", folder / f"{variant.slug}.png"))
        reports.append(report)
        scored.append(effects)
    run = VariantRun(reports=reports, skipped=skipped or [], folder=str(folder) if folder else None)
    if folder is not None:
        _save(folder, run, scored, tracks)
    return run


def _save(folder: Path, run: VariantRun, scored: list[VariantEffects], tracks: list[TrackInfo]) -> None:
    """effects.tsv (one row per variant and track) and variants.json, each written whole or not at all."""
    table = io.StringIO()
    writer = csv.writer(table, delimiter="\t", lineterminator="\n")
    writer.writerow(["variant", "index", "track", "assay", "target", "biosample", "sad", "log2fc", "percentile",
                     "z", "peak_offset_bp"])
    for effects in scored:
        percentile, z = effects.percentile, effects.z
        for column, track in enumerate(tracks):
            writer.writerow([
                effects.variant.label, track.index, track.name, track.assay, track.target or "", track.biosample,
                f"{effects.sad[column]:.6g}", f"{effects.log2fc[column]:.6g}",
                "" if percentile is None else f"{percentile[column]:.4g}", "" if z is None else f"{z[column]:.4g}",
                int(effects.peak_offset[column])])
    try:
        atomic_write(folder / EFFECTS_FILE, lambda f: f.write(table.getvalue().encode()))
        atomic_write(folder / REPORT_FILE, lambda f: f.write(json.dumps(run.model_dump(mode="json"),
                                                                         indent=1).encode()))
    except OSError as err:
        raise GeneverseError(f"cannot write the variant report into {folder}: {err}") from err


def score_requested(
    specs: list[str], *, graph, assay: str | None = None, target: str | None = None, biosample: str | None = None,
    weights: str | None = None, fasta: str | None = None, config: VariantConfig | None = None,
) -> VariantRun:
    """What `ask`, HTTP and MCP run: variants written chr:position ref>alt, or VCF paths, scored with the
    configured weights and genome and saved under $GENEVERSE_HOME/variants/<first variant>."""
    from kg.paths import home
    from tools.tracks.errors import ModelNotConfigured
    from tools.tracks.model import ModelConfig
    from tools.tracks.report import cached_model, configured_genome
    from tools.tracks.sequence import GenomeFasta

    variants, skipped = [], []
    for spec in specs:
        if spec.strip().lower().endswith(VCF_SUFFIXES):
            found, passed = read_vcf(spec.strip())
            variants += found
            skipped += passed
        else:
            variants.append(parse_variant(spec))
    if len(variants) > MAX_REQUEST_VARIANTS:
        raise TrackFileError(f"{len(variants)} variants: at most {MAX_REQUEST_VARIANTS} are scored per request; "
                             "score more with `geneverse tracks variant --vcf FILE --out DIR`")
    missing = []
    for configured in (lambda: ModelConfig.from_env(weights), lambda: configured_genome(fasta)):
        try:
            configured()
        except ModelNotConfigured as err:
            missing.append(str(err))
    if missing:
        raise ModelNotConfigured(f"Enformer cannot score {variants[0].label}: {'; and '.join(missing)}")
    loaded = cached_model(ModelConfig.from_env(weights))
    genome = configured_genome(fasta)
    return explain_variants(variants, source=GenomeFasta(genome), loaded=loaded, graph=graph, config=config,
                            assay=assay, target=target, biosample=biosample, source_name=genome, skipped=skipped,
                            out=home() / "variants" / variants[0].slug)
