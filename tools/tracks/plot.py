"""A PNG of the reported tracks around the TSS, with the gene model underneath."""

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never open a window
import matplotlib.pyplot as plt
import numpy as np

from tools.tracks.catalog import TrackInfo
from tools.tracks.findings import Findings
from tools.tracks.predict import Layout


def _columns_to_plot(signal: np.ndarray, tracks: list[TrackInfo], findings: Findings, limit: int) -> list[int]:
    """The strongest track of each reported mark; the highest tracks overall when nothing is enriched."""
    column_of = {t.name: c for c, t in enumerate(tracks)}
    chosen: list[int] = []
    for group in [*findings.promoter, *findings.gene_body]:
        best = max((column_of[n] for n in group.tracks), key=lambda c: signal[:, c].max())
        if best not in chosen:
            chosen.append(best)
    if not chosen:
        chosen = list(np.argsort(-signal.max(axis=0), kind="stable"))
    return [int(c) for c in chosen[:limit]]


def plot_tracks(
    signal: np.ndarray, tracks: list[TrackInfo], layout: Layout, findings: Findings, path: str | Path,
    *, limit: int = 8,
) -> Path:
    """Write the plot to `path` (through a temporary file, so an old plot is never half-overwritten)."""
    path = Path(path)
    columns = _columns_to_plot(signal, tracks, findings, limit)
    x = (np.arange(layout.n_bins) * layout.bin_size + layout.bin_size / 2 - layout.anchor) / 1000
    figure, axes = plt.subplots(
        len(columns) + 1, 1, figsize=(10, 1.1 * len(columns) + 1.2), sharex=True,
        gridspec_kw={"height_ratios": [1] * len(columns) + [0.6]},
    )
    axes = np.atleast_1d(axes)
    for axis, column in zip(axes, columns):
        axis.fill_between(x, signal[:, column], step="mid", linewidth=0, color="tab:blue")
        axis.set_ylabel(tracks[column].mark, rotation=0, ha="right", va="center", fontsize=8)
        axis.text(0.005, 0.92, tracks[column].biosample[:70], transform=axis.transAxes, fontsize=7, va="top")
        axis.axvspan(-findings.promoter_bp / 1000, findings.promoter_bp / 1000, color="orange", alpha=0.15)
        axis.tick_params(labelsize=7)
    _gene_model(axes[-1], layout, x)
    anchor = "TSS" if layout.gene else "window centre"
    where = f" ({layout.chromosome}:{layout.genomic(layout.anchor):,})" if layout.span_start is not None else ""
    axes[-1].set_xlabel(f"kb from the {anchor}{where}")
    title = f"{findings.kind.capitalize()} tracks around {findings.gene or 'the window centre'}"
    figure.suptitle(title, fontsize=10)
    return save_figure(figure, path)


def save_figure(figure, path: str | Path) -> Path:
    """Write a PNG through a temporary file, so an old plot is never half-overwritten; closes the figure."""
    path = Path(path)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(handle)
    try:
        figure.savefig(temporary, dpi=110)
        os.replace(temporary, path)
    finally:
        plt.close(figure)
        Path(temporary).unlink(missing_ok=True)
    return path


def plot_variant(ref: np.ndarray, alt: np.ndarray, columns: list[int], names: list[str], bin_size: int,
                 title: str, path: str | Path) -> Path:
    """Ref and alt predictions of the chosen tracks, each with alt - ref underneath, in kb from the variant."""
    n_bins = ref.shape[0]
    x = (np.arange(n_bins) * bin_size + bin_size / 2 - (n_bins // 2) * bin_size) / 1000
    figure, axes = plt.subplots(2 * len(columns), 1, figsize=(10, 1.6 * len(columns) + 0.8), sharex=True,
                                gridspec_kw={"height_ratios": [1, 0.6] * len(columns)})
    axes = np.atleast_1d(axes)
    for number, (column, name) in enumerate(zip(columns, names)):
        signal, difference = axes[2 * number], axes[2 * number + 1]
        signal.plot(x, ref[:, column], color="tab:blue", linewidth=0.8, label="ref")
        signal.plot(x, alt[:, column], color="tab:red", linewidth=0.8, label="alt")
        signal.text(0.005, 0.92, name[:90], transform=signal.transAxes, fontsize=7, va="top")
        difference.fill_between(x, alt[:, column] - ref[:, column], step="mid", linewidth=0, color="tab:purple")
        difference.set_ylabel("alt - ref", fontsize=7)
        for axis in (signal, difference):
            axis.axvline(0, color="black", linewidth=0.5)
            axis.tick_params(labelsize=7)
    axes[0].legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("kb from the variant")
    figure.suptitle(title, fontsize=10)
    return save_figure(figure, path)


def _gene_model(axis, layout: Layout, x: np.ndarray) -> None:
    axis.set_ylim(-1, 1)
    axis.set_yticks([])
    for side in ("top", "right", "left"):
        axis.spines[side].set_visible(False)
    gene = layout.gene
    if gene is None:
        axis.axvline(0, color="black", linewidth=0.8)
        return
    left = max(gene.start - layout.anchor, -layout.anchor) / 1000
    right = min(gene.end - layout.anchor, layout.span - layout.anchor) / 1000
    axis.plot([left, right], [0, 0], color="black", linewidth=5, solid_capstyle="butt")
    direction = 1 if gene.strand == "+" else -1
    span_kb = (x[-1] - x[0]) or 1
    axis.annotate("", xy=(direction * 0.04 * span_kb, 0.6), xytext=(0, 0.6),
                  arrowprops={"arrowstyle": "->", "linewidth": 1.2})
    axis.plot([0, 0], [0, 0.6], color="black", linewidth=1.2)
    axis.text(left if gene.strand == "+" else right, -0.75, f"{gene.symbol} ({gene.strand})", fontsize=8,
              ha="left" if gene.strand == "+" else "right")
