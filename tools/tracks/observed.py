"""Measured signal from bigWig files (pyBigWig), binned like Enformer's output so the same
findings and explanation apply."""

from pathlib import Path

import numpy as np

from tools.tracks.errors import TrackFileError
from tools.tracks.predict import Layout


def read_bigwig(path: str | Path, layout: Layout) -> np.ndarray:
    """Mean signal per bin of `layout` (which must have genomic coordinates); no data reads as 0."""
    import pyBigWig

    path = Path(path)
    if layout.chromosome is None or layout.span_start is None:
        raise TrackFileError("observed tracks need genomic coordinates: name a gene or a region")
    if not path.is_file():
        raise TrackFileError(f"bigWig file not found: {path}")
    try:
        bigwig = pyBigWig.open(str(path))
    except RuntimeError as err:
        raise TrackFileError(f"{path} is not a readable bigWig file") from err
    if bigwig is None or not bigwig.isBigWig():
        raise TrackFileError(f"{path} is not a bigWig file")
    try:
        chroms = bigwig.chroms()
        bare = layout.chromosome.removeprefix("chr")
        contig = next((c for c in (layout.chromosome, bare) if c in chroms), None)
        if contig is None:
            raise TrackFileError(f"{path} has no chromosome {layout.chromosome}")
        start0 = layout.span_start - 1
        end0 = start0 + layout.span
        values = np.zeros(layout.span, dtype=np.float64)
        first, last = max(0, start0), min(chroms[contig], end0)
        if first < last:
            values[first - start0 : last - start0] = bigwig.values(contig, first, last, numpy=True)
    finally:
        bigwig.close()
    return np.nan_to_num(values).reshape(layout.n_bins, layout.bin_size).mean(axis=1)


def read_bigwigs(paths: list[str], layout: Layout) -> np.ndarray:
    """(bins, tracks) signal, one column per bigWig file."""
    return np.stack([read_bigwig(p, layout) for p in paths], axis=1)
