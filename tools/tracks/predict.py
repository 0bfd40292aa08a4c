"""Enformer predictions for a gene, a region or a raw sequence, and the folder they are saved in.

A prediction folder holds `tracks.npy` (bins x tracks, float32) and `prediction.json` (where the
bins lie, the gene model, the model and the sequence source). Track metadata is not copied: it is
read from the graph by output index when the folder is explained.
"""

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, Field

from kg.models import Gene
from tools.tracks.errors import SequenceError, TrackFileError
from tools.tracks.model import LoadedEnformer
from tools.tracks.sequence import GenomeFasta, one_hot, pad_to_window, reverse_complement

SIGNAL_FILE = "tracks.npy"
META_FILE = "prediction.json"


class GeneLocus(BaseModel):
    """A gene placed on the bins: offsets in bp from the first predicted base (may lie outside)."""

    symbol: str
    gene_id: str | None = None
    strand: Literal["+", "-"]
    tss: int = Field(description="offset of the transcription start site")
    start: int = Field(description="offset of the gene's leftmost base")
    end: int = Field(description="offset one past the gene's rightmost base")


class Layout(BaseModel):
    """Where the signal bins lie: bin i covers offsets [i * bin_size, (i + 1) * bin_size)."""

    bin_size: int
    n_bins: int
    chromosome: str | None = None
    span_start: int | None = Field(None, description="1-based genomic position of offset 0, when known")
    assembly: str | None = None
    gene: GeneLocus | None = None

    @property
    def span(self) -> int:
        return self.bin_size * self.n_bins

    @property
    def anchor(self) -> int:
        """Offset the explanation is centred on: the TSS, or the middle of the bins."""
        return self.gene.tss if self.gene else self.span // 2

    def genomic(self, offset: int) -> int | None:
        return None if self.span_start is None else self.span_start + offset


class PredictionMeta(BaseModel):
    kind: Literal["predicted"] = "predicted"
    layout: Layout
    model: str
    weights: str | None = None
    source: str = Field(description="where the sequence came from: FASTA and region, or a sequence file")
    reverse_complement_average: bool = False
    track_indices: list[int] = Field(description="Enformer human output index of each signal column")


@dataclass
class Prediction:
    signal: np.ndarray  # (bins, tracks)
    meta: PredictionMeta

    def save(self, folder: str | Path) -> Path:
        """Write the folder; each file goes to a temporary name first, then is renamed into place."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / SIGNAL_FILE, lambda f: np.save(f, self.signal.astype(np.float32)))
        atomic_write(folder / META_FILE, lambda f: f.write(self.meta.model_dump_json(indent=1).encode()))
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "Prediction":
        folder = Path(folder)
        if not (folder / META_FILE).is_file() or not (folder / SIGNAL_FILE).is_file():
            raise TrackFileError(
                f"{folder} is not a prediction folder (needs {SIGNAL_FILE} and {META_FILE}); "
                "make one with `geneverse tracks predict`"
            )
        try:
            meta = PredictionMeta.model_validate(json.loads((folder / META_FILE).read_text()))
            signal = np.load(folder / SIGNAL_FILE)
        except (ValueError, OSError) as err:
            raise TrackFileError(f"cannot read prediction folder {folder}: {err}") from err
        expected = (meta.layout.n_bins, len(meta.track_indices))
        if signal.shape != expected:
            raise TrackFileError(f"{folder / SIGNAL_FILE} has shape {signal.shape}, expected {expected}")
        return cls(signal=signal, meta=meta)


def atomic_write(path: Path, write) -> None:
    """Write `path` through a temporary file renamed into place, so a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(temporary, 0o644)  # mkstemp makes it private; results are for sharing like any output
        with os.fdopen(handle, "wb") as f:
            write(f)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@torch.no_grad()
def predict_windows(
    loaded: LoadedEnformer, windows: np.ndarray, *, reverse_complement_average: bool = False
) -> np.ndarray:
    """Human tracks for one-hot windows (batch, length, 4) -> (batch, bins, tracks), in batches."""
    if windows.ndim != 3 or windows.shape[-1] != 4:
        raise SequenceError(f"expected one-hot windows of shape (batch, length, 4), got {windows.shape}")
    if windows.shape[1] != loaded.sequence_length:
        raise SequenceError(
            f"windows are {windows.shape[1]:,} bp but the model reads {loaded.sequence_length:,} bp"
        )
    outputs = []
    for first in range(0, len(windows), loaded.config.batch_size):
        batch = windows[first : first + loaded.config.batch_size]
        predicted = _forward(loaded, batch)
        if reverse_complement_average:
            # the bins are symmetric about the window centre, so flipping realigns them
            predicted = (predicted + _forward(loaded, reverse_complement(batch))[:, ::-1]) / 2
        outputs.append(predicted)
    return np.concatenate(outputs)


def _forward(loaded: LoadedEnformer, batch: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(np.ascontiguousarray(batch)).to(loaded.device)
    dtype = loaded.autocast_dtype
    with torch.autocast(loaded.device.type, dtype=dtype, enabled=dtype is not None):
        out = loaded.model(x, head="human")
    return out.float().cpu().numpy()


def _crop(loaded: LoadedEnformer) -> int:
    """bp between the window start and the first predicted bin."""
    return (loaded.sequence_length - loaded.target_length * loaded.bin_size) // 2


def _meta(loaded: LoadedEnformer, layout: Layout, source: str, rc: bool) -> PredictionMeta:
    return PredictionMeta(
        layout=layout, model=loaded.name, weights=loaded.config.weights, source=source,
        reverse_complement_average=rc, track_indices=list(range(loaded.num_tracks)),
    )


def layout_around_gene(gene: Gene, *, bin_size: int, n_bins: int) -> Layout:
    """Bins centred on the gene's GRCh38 TSS from the graph, the TSS at the start of the middle bin."""
    if gene.chromosome is None or gene.tss is None or gene.strand not in ("+", "-"):
        raise SequenceError(f"{gene.symbol} has no GRCh38 position in the graph")
    span_start = gene.tss - n_bins * bin_size // 2
    start, end = gene.start or gene.tss, gene.end or gene.tss
    locus = GeneLocus(symbol=gene.symbol, gene_id=gene.gene_id, strand=gene.strand,
                      tss=gene.tss - span_start, start=start - span_start, end=end + 1 - span_start)
    return Layout(bin_size=bin_size, n_bins=n_bins, chromosome=gene.ucsc_chromosome, span_start=span_start,
                  assembly="GRCh38", gene=locus)


def predict_genes(
    symbols: list[str], *, graph, genome: GenomeFasta, loaded: LoadedEnformer, reverse_complement_average=False
) -> list[Prediction]:
    """One window per gene, centred on its TSS from the graph (GRCh38), predicted in batches."""
    genes = [graph.gene(symbol) for symbol in symbols]
    windows, layouts = [], []
    for gene in genes:
        layout = layout_around_gene(gene, bin_size=loaded.bin_size, n_bins=loaded.target_length)
        start0 = layout.span_start - 1 - _crop(loaded)
        window = genome.window(gene.chromosome, start0, start0 + loaded.sequence_length)
        windows.append(one_hot(window, allow_ambiguity=True))
        layouts.append(layout)
    signal = predict_windows(loaded, np.stack(windows), reverse_complement_average=reverse_complement_average)
    return [
        Prediction(signal[i], _meta(loaded, layouts[i], f"{genome.path} {g.ucsc_chromosome} TSS {g.tss:,}",
                                    reverse_complement_average))
        for i, g in enumerate(genes)
    ]


def predict_region(
    chromosome: str, start: int, end: int, *, genome: GenomeFasta, loaded: LoadedEnformer,
    reverse_complement_average=False,
) -> Prediction:
    """A window centred on the middle of the 1-based region chromosome:start-end."""
    if end < start:
        raise SequenceError(f"region end {end:,} is before its start {start:,}")
    start0 = (start - 1 + end) // 2 - loaded.sequence_length // 2
    window = genome.window(chromosome, start0, start0 + loaded.sequence_length)
    signal = predict_windows(
        loaded, one_hot(window, allow_ambiguity=True)[None], reverse_complement_average=reverse_complement_average
    )[0]
    contig = "chr" + chromosome.removeprefix("chr")
    layout = Layout(bin_size=loaded.bin_size, n_bins=loaded.target_length, chromosome=contig,
                    span_start=start0 + _crop(loaded) + 1, assembly="GRCh38")
    return Prediction(signal, _meta(loaded, layout, f"{genome.path} {contig}:{start:,}-{end:,}",
                                    reverse_complement_average))


def predict_sequence(
    sequence: str, *, loaded: LoadedEnformer, source: str, gene: Gene | None = None,
    tss_offset: int | None = None, reverse_complement_average=False,
) -> Prediction:
    """A raw sequence, N-padded to the model window. With `gene`, its TSS is taken to lie at
    `tss_offset` (0-based, default the sequence middle) and its strand and length come from the graph."""
    window, left = pad_to_window(one_hot(sequence), loaded.sequence_length)
    signal = predict_windows(loaded, window[None], reverse_complement_average=reverse_complement_average)[0]
    layout = Layout(bin_size=loaded.bin_size, n_bins=loaded.target_length)
    if gene is not None:
        offset = len(sequence) // 2 if tss_offset is None else tss_offset
        if not 0 <= offset < len(sequence):
            raise SequenceError(f"TSS offset {offset:,} lies outside the {len(sequence):,} bp sequence")
        tss = left + offset - _crop(loaded)
        if not 0 <= tss < layout.span:
            raise SequenceError(f"the TSS at offset {offset:,} falls outside the predicted bins")
        length = (gene.end - gene.start + 1) if gene.start and gene.end else 1
        start = tss if gene.strand == "+" else tss - length + 1
        layout.gene = GeneLocus(symbol=gene.symbol, gene_id=gene.gene_id, strand=gene.strand or "+",
                                tss=tss, start=start, end=start + length)
    return Prediction(signal, _meta(loaded, layout, source, reverse_complement_average))
