"""Variant effects with Enformer: ref against alt in every track, measured against background variants.

A variant's window is centred on it (the variant is the first base of the middle output bin); ref and
alt windows differ in that one base. For every track:

    SAD     = sum over the central bins of (alt - ref)        (the Enformer paper sums all bins: --central-bins 896)
    log2FC  = log2((sum alt + 1) / (sum ref + 1)) over the same bins
    peak    = the bin where |alt - ref| is largest, as bp from the variant

Background variants are substitutions sampled in the same window (they share its ref prediction, so each
costs one alt window) or the variants of a VCF (each in its own window). Their SADs, each summed over the
central bins around its own position, say how large an effect is for that track: the percentile of |SAD|
among the background's |SAD| and the z-score of SAD. Optional averaging over the reverse complement and
over small shifts of the window is applied to every prediction alike.
"""

import gzip
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field, model_validator

from tools.tracks.errors import SequenceError
from tools.tracks.sequence import BASES, GenomeFasta, one_hot

if TYPE_CHECKING:  # the model (torch) is loaded only to score, never to read a variant
    from tools.tracks.model import LoadedEnformer

_CHROMOSOME = r"(?:chr)?(?P<chromosome>[0-9]{1,2}|X|Y|M|MT)"
# chr8:11700000 G>A, chr8:11,700,000:G:A, 8-11700000-G-A (gnomAD), chr8 11700000 G A; 1-based, GRCh38
_VARIANT = re.compile(
    rf"^\s*(?:{_CHROMOSOME}\s*[:\s_-]\s*)?(?P<position>\d[\d,]*)\s*[:\s_-]?\s*(?P<ref>[A-Za-z]+)\s*(?:>|/|:|-|\s)\s*"
    r"(?P<alt>[A-Za-z*<>.]+)\s*$", re.IGNORECASE)
# a variant written inside a sentence: only the unambiguous 'ref>alt' (or ref/alt) form after chr:pos
_VARIANT_IN_TEXT = re.compile(
    rf"(?<![\w:]){_CHROMOSOME}:(?P<position>\d[\d,]*)\s*(?P<ref>[ACGTacgt]+)\s*[>/]\s*(?P<alt>[ACGTacgt]+)(?![\w])",
    re.IGNORECASE)
RSID = re.compile(r"(?<![\w])rs\d{3,}(?![\w])", re.IGNORECASE)
VCF_SUFFIXES = (".vcf", ".vcf.gz")


class Variant(BaseModel):
    """A single-nucleotide substitution at a 1-based position (GRCh38 when `chromosome` is set; on a raw
    sequence, `chromosome` is None and the position counts from the sequence's first base)."""

    chromosome: str | None = Field(None, description="chr1 ... chrX, chrY, chrM; None on a raw sequence")
    position: int = Field(ge=1, description="1-based position")
    ref: str = Field(pattern="^[ACGT]$")
    alt: str = Field(pattern="^[ACGT]$")
    id: str | None = Field(None, description="the VCF ID column, when there is one")

    @property
    def label(self) -> str:
        where = f"{self.chromosome}:{self.position:,}" if self.chromosome else f"position {self.position:,}"
        return f"{where} {self.ref}>{self.alt}"

    @property
    def slug(self) -> str:
        """A file-name-safe name: chr8_11700000_G_A."""
        return f"{self.chromosome or 'seq'}_{self.position}_{self.ref}_{self.alt}"

    def swapped(self) -> "Variant":
        return self.model_copy(update={"ref": self.alt, "alt": self.ref})


def _chromosome(name: str | None) -> str | None:
    if name is None:
        return None
    name = name.upper().removeprefix("CHR")
    return "chrM" if name in ("M", "MT") else f"chr{name}"


def _substitution(chromosome: str | None, position: str, ref: str, alt: str, written: str,
                  variant_id: str | None = None) -> Variant:
    ref, alt = ref.upper(), alt.upper()
    if len(ref) != 1 or len(alt) != 1 or alt in ("*", "<", ".") or alt.startswith("<"):
        kind = "a symbolic or missing allele" if not alt.isalpha() else "an insertion or deletion"
        raise SequenceError(f"{written!r} is {kind}: only single-nucleotide substitutions are scored "
                            "(one base of A, C, G, T for ref and alt)")
    if ref not in BASES or alt not in BASES:
        raise SequenceError(f"{written!r}: ref and alt must each be one of A, C, G, T")
    if ref == alt:
        raise SequenceError(f"{written!r}: alt equals ref, so there is no change to score")
    position_number = int(position.replace(",", ""))
    if position_number < 1:
        raise SequenceError(f"{written!r}: positions are 1-based, so the first base is 1")
    return Variant(chromosome=_chromosome(chromosome), position=position_number, ref=ref, alt=alt, id=variant_id)


def parse_variant(text: str) -> Variant:
    """'chr8:11700000 G>A' (also 'chr8:11,700,000:G:A', '8-11700000-G-A'; '65537 G>A' on a raw sequence)."""
    if RSID.fullmatch(text.strip()):
        raise SequenceError(f"{text.strip()} is a dbSNP id, and dbSNP is not in the graph: give the variant as "
                            "chr:position ref>alt on GRCh38, e.g. chr1:109274968 G>T")
    match = _VARIANT.match(text)
    if not match:
        raise SequenceError(f"variant {text!r} must look like chr8:11700000 G>A (1-based, GRCh38)")
    return _substitution(match["chromosome"], match["position"], match["ref"], match["alt"], text.strip())


def variants_in_text(text: str) -> list[Variant]:
    """The substitutions written as chr:position ref>alt in free text, in order (bad ones raise)."""
    return [_substitution(m["chromosome"], m["position"], m["ref"], m["alt"], m.group(0))
            for m in _VARIANT_IN_TEXT.finditer(text)]


def variant_request(question: str) -> list[str]:
    """What a question asks to score: its chr:position ref>alt variants, else its VCF paths. A question about a
    dbSNP id is not one: the question reader declines it (the graph holds no variants) and asks for the position."""
    if written := [m.group(0) for m in _VARIANT_IN_TEXT.finditer(question)]:
        return written
    words = [w.strip("?,;:!'\"()") for w in question.split()]
    return [w for w in words if w.lower().endswith(VCF_SUFFIXES)]


class SkippedLine(BaseModel):
    line: int
    text: str
    reason: str


def read_vcf(path: str | Path) -> tuple[list[Variant], list[SkippedLine]]:
    """The substitutions of a VCF (plain or gzip), one per ALT allele of multi-allelic lines, and the lines or
    alleles that were not scored (indels, symbolic alleles) with why."""
    path = Path(path)
    opener = gzip.open if path.name.endswith(".gz") else open
    variants, skipped = [], []
    try:
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.rstrip("\n").split("\t")
                if len(fields) < 5:
                    fields = line.split()
                if len(fields) < 5 or not fields[1].isdigit():
                    raise SequenceError(f"{path} line {number} is not a VCF record (CHROM POS ID REF ALT ...): "
                                        f"{line.strip()[:80]!r}")
                chromosome, position, variant_id, ref, alts = fields[:5]
                for alt in alts.split(","):
                    try:
                        variants.append(_substitution(chromosome, position, ref, alt, f"{chromosome}:{position} "
                                                      f"{ref}>{alt}", None if variant_id == "." else variant_id))
                    except SequenceError as err:
                        skipped.append(SkippedLine(line=number, text=line.strip()[:200], reason=str(err)))
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise SequenceError(f"cannot read VCF {path}: {err}") from err
    if not variants:
        reasons = f"; {skipped[0].reason}" if skipped else ""
        raise SequenceError(f"{path} holds no single-nucleotide substitution to score{reasons}")
    return variants, skipped


class RawSequence:
    """A raw sequence read like a genome: windows past its ends are N-padded; positions count from 1."""

    def __init__(self, sequence: str, name: str):
        one_hot(sequence)  # refuse letters other than ACGTN early
        self.sequence, self.name = sequence.upper(), name

    def window(self, start0: int, end0: int) -> str:
        inside = self.sequence[max(0, start0) : max(0, min(len(self.sequence), end0))]
        return "N" * max(0, -start0) + inside + "N" * max(0, end0 - max(start0, len(self.sequence)))


def _window_text(source: GenomeFasta | RawSequence, variant: Variant, start0: int, end0: int) -> str:
    if isinstance(source, RawSequence):
        if variant.chromosome is not None:
            raise SequenceError(f"{variant.label} names a chromosome but the sequence is a raw one ({source.name}); "
                                "give the position within the sequence, e.g. '65537 G>A'")
        if variant.position > len(source.sequence):
            raise SequenceError(f"{variant.label} lies past the end of the {len(source.sequence):,} bp sequence")
        return source.window(start0, end0)
    if variant.chromosome is None:
        raise SequenceError(f"{variant.label} names no chromosome; write it as chr8:11700000 G>A")
    return source.window(variant.chromosome, start0, end0)


class VariantConfig(BaseModel):
    central_bins: int = Field(10, ge=1, description="SAD and log2FC sum this many bins around the variant")
    shifts: list[int] = Field([0], description="bp shifts of the window whose predictions are averaged")
    reverse_complement: bool = Field(False, description="average each prediction with its reverse complement")
    background: int = Field(16, ge=0, le=1000, description="substitutions sampled in the same window as background")
    seed: int = 0

    @model_validator(mode="after")
    def _small_shifts(self) -> "VariantConfig":
        if 0 not in self.shifts or any(abs(s) > 64 for s in self.shifts):
            raise ValueError("shifts must include 0 and lie within +/-64 bp (half a bin), e.g. -1,0,1")
        return self


@dataclass
class VariantEffects:
    """What scoring one variant gives, per track (columns are the model's human output tracks)."""

    variant: Variant
    ref: np.ndarray  # (bins, tracks): mean prediction over shifts (and strands)
    alt: np.ndarray
    sad: np.ndarray  # (tracks,)
    log2fc: np.ndarray
    peak_bin: np.ndarray  # (tracks,) bin of the largest |alt - ref|
    bin_size: int
    background_sad: np.ndarray | None  # (background variants, tracks)
    background_kind: str | None
    background_positions: list[int]

    @cached_property
    def percentile(self) -> np.ndarray | None:
        return None if self.background_sad is None else percentile_of(self.sad, self.background_sad)

    @cached_property
    def z(self) -> np.ndarray | None:
        return None if self.background_sad is None else z_score(self.sad, self.background_sad)

    @property
    def peak_offset(self) -> np.ndarray:
        """bp from the variant to the centre of each track's peak-difference bin."""
        variant_offset = (self.ref.shape[0] // 2) * self.bin_size  # the variant is the middle bin's first base
        return self.peak_bin * self.bin_size + self.bin_size // 2 - variant_offset


def percentile_of(effect: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Per track, the percentile (0-100) of |effect| among the background's |effect| (ties count half)."""
    size, against = np.abs(effect)[None, :], np.abs(background)
    below = (against < size).sum(axis=0) + 0.5 * (against == size).sum(axis=0)
    return 100.0 * below / len(background)


def z_score(effect: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Per track, (effect - background mean) / background standard deviation; 0 where the background is flat."""
    spread = background.std(axis=0, ddof=1) if len(background) > 1 else np.zeros(background.shape[1])
    centred = effect - background.mean(axis=0)
    return np.divide(centred, spread, out=np.zeros_like(centred, dtype=np.float64), where=spread > 0)


def _central_bins(centre: int, count: int, n_bins: int) -> slice:
    first = centre - count // 2
    if first < 0 or first + count > n_bins:
        raise SequenceError(f"{count} central bins around bin {centre} do not fit the {n_bins} predicted bins")
    return slice(first, first + count)


def _substitute(window: np.ndarray, index: int, base: str) -> np.ndarray:
    changed = window.copy()
    changed[index] = 0.0
    changed[index, BASES.index(base)] = 1.0
    return changed


class _Averager:
    """Predicts windows in batches and keeps, per owner, the mean prediction over its windows, reduced as it
    goes (background variants keep only their central bins), so memory does not grow with the background."""

    def __init__(self, loaded: "LoadedEnformer", config: VariantConfig):
        self.loaded, self.config = loaded, config
        self.pending: list[tuple[object, np.ndarray, slice | None]] = []
        self.sums: dict[object, np.ndarray] = {}

    def add(self, owner: object, window: np.ndarray, keep: slice | None = None) -> None:
        self.pending.append((owner, window, keep))
        if len(self.pending) >= self.loaded.config.batch_size:
            self.flush()

    def flush(self) -> None:
        from tools.tracks.predict import predict_windows

        if not self.pending:
            return
        predicted = predict_windows(self.loaded, np.stack([w for _, w, _ in self.pending]),
                                    reverse_complement_average=self.config.reverse_complement)
        for (owner, _, keep), prediction in zip(self.pending, predicted):
            part = prediction if keep is None else prediction[keep]
            weight = 1.0 / len(self.config.shifts)
            self.sums[owner] = self.sums.get(owner, 0.0) + part.astype(np.float64) * weight
        self.pending = []


def score_variant(
    variant: Variant, source: GenomeFasta | RawSequence, loaded: "LoadedEnformer", config: VariantConfig | None = None,
    background: list[Variant] | None = None, background_source: GenomeFasta | None = None,
) -> VariantEffects:
    """Score `variant` in every track. The ref allele must match `source`. The background is `background`
    (each in its own window of `background_source`, default `source`) or, when None, `config.background`
    substitutions sampled in this variant's window."""
    config = config or VariantConfig()
    length, bins, bin_size = loaded.sequence_length, loaded.target_length, loaded.bin_size
    crop = (length - bins * bin_size) // 2
    centre = length // 2  # window index of the variant when the shift is 0
    central = _central_bins(bins // 2, config.central_bins, bins)
    ref_windows = _shifted_windows(variant, source, loaded, config, check_ref=True)

    averager = _Averager(loaded, config)
    for shift, window in zip(config.shifts, ref_windows):
        averager.add("ref", window)
        averager.add("alt", _substitute(window, centre - shift, variant.alt))

    positions: list[int] = []
    background_kind = None
    if background is None and config.background:
        positions, alts = _sample_background(ref_windows[config.shifts.index(0)], config, crop, bin_size, bins,
                                             centre)
        around = [_central_bins((index - crop) // bin_size, config.central_bins, bins) for index in positions]
        for number, (index, base) in enumerate(zip(positions, alts)):
            for shift, window in zip(config.shifts, ref_windows):
                averager.add(number, _substitute(window, index - shift, base), around[number])
        background_kind = f"{len(positions)} substitutions sampled in the same window"
    averager.flush()
    ref, alt = averager.sums["ref"], averager.sums["alt"]
    difference = alt - ref

    background_sad = None
    if positions:
        background_sad = np.stack([(averager.sums[number] - ref[bins_of]).sum(0)
                                   for number, bins_of in enumerate(around)])
    elif background:
        background_source = background_source or source
        single = config.model_copy(update={"background": 0})
        background_sad = np.stack([score_variant(other, background_source, loaded, single).sad for other in background])
        background_kind = f"{len(background)} variants of a background VCF"
    ref_sum, alt_sum = ref[central].sum(0), alt[central].sum(0)
    return VariantEffects(
        variant=variant, ref=ref.astype(np.float32), alt=alt.astype(np.float32), sad=difference[central].sum(0),
        log2fc=np.log2((np.maximum(alt_sum, 0) + 1) / (np.maximum(ref_sum, 0) + 1)),
        peak_bin=np.abs(difference).argmax(axis=0), bin_size=bin_size,
        background_sad=background_sad, background_kind=background_kind,
        background_positions=[variant.position + index - centre for index in positions],
    )


def _shifted_windows(variant: Variant, source, loaded: "LoadedEnformer", config: VariantConfig,
                     check_ref: bool) -> list[np.ndarray]:
    """One-hot ref windows, one per shift; the variant sits at index length // 2 - shift."""
    length = loaded.sequence_length
    start0 = variant.position - 1 - length // 2
    windows = []
    for shift in config.shifts:
        text = _window_text(source, variant, start0 + shift, start0 + shift + length)
        if check_ref and shift == config.shifts[0]:
            found = text[length // 2 - shift].upper()
            if found != variant.ref:
                where = source.name if isinstance(source, RawSequence) else str(source.path)
                said = "an unknown base (N)" if found == "N" else found
                raise SequenceError(f"ref allele {variant.ref} of {variant.label} does not match the sequence, which "
                                    f"has {said} there ({where}); check the assembly (GRCh38) and the strand")
        windows.append(one_hot(text, allow_ambiguity=True))
    return windows


def _sample_background(window: np.ndarray, config: VariantConfig, crop: int, bin_size: int, bins: int,
                       centre: int) -> tuple[list[int], list[str]]:
    """Indices (in the unshifted window) and alt bases of substitutions whose central bins lie inside the
    predicted bins, never at the variant and never at an unknown base; seeded, so a variant always gets the
    same background."""
    half = config.central_bins // 2
    first_bin, last_bin = half, bins - config.central_bins + half  # bins whose central bins fit
    candidates = np.arange(crop + first_bin * bin_size, crop + (last_bin + 1) * bin_size)
    known = window[candidates].sum(axis=1) > 0
    candidates = candidates[known & (candidates != centre)]
    rng = np.random.default_rng(config.seed)
    chosen = np.sort(rng.choice(candidates, size=min(config.background, len(candidates)), replace=False))
    alts = []
    for index in chosen:
        ref_base = BASES[int(window[index].argmax())]
        alts.append(str(rng.choice([b for b in BASES if b != ref_base])))
    return [int(i) for i in chosen], alts
