"""Images for the multimodal tasks, drawn with matplotlib: protein structures (backbone trace from a fixed
camera, coloured by AlphaFold pLDDT) and spatial maps of tissue coloured by one gene's expression."""

from __future__ import annotations

import re
import shlex
from itertools import pairwise
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from kg.errors import GeneverseError

# AlphaFold DB confidence colours: very high (>90), confident (70-90), low (50-70), very low (<50).
PLDDT_BANDS = ((90.0, "#0053D6"), (70.0, "#65CBF3"), (50.0, "#FFDB13"), (0.0, "#FF7D45"))
_ALPHAFOLD_NAME = re.compile(r"AF-([A-Z0-9]+)-F\d+", re.IGNORECASE)


class Structure(BaseModel):
    """The C-alpha trace of one protein chain, with per-residue confidence (pLDDT, or B-factor)."""

    source: str
    accession: str | None = None
    coords: list[tuple[float, float, float]]
    plddt: list[float]


def read_structure(path: Path) -> Structure:
    """C-alpha atoms of the first chain of a PDB or mmCIF file; the UniProt accession from DBREF or the
    AlphaFold file name."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise GeneverseError(f"Cannot read structure file {path}: {err}") from None
    try:
        atoms = _mmcif_atoms(text) if path.suffix.lower() in (".cif", ".mmcif") else _pdb_atoms(text)
    except (ValueError, IndexError, KeyError) as err:
        raise GeneverseError(f"{path}: malformed atom records ({err}).") from None
    if len(atoms) < 3:
        raise GeneverseError(f"{path}: fewer than three C-alpha atoms; not a protein structure.")
    chain = atoms[0][0]
    atoms = [a for a in atoms if a[0] == chain]
    accession = _dbref_accession(text) or (m.group(1).upper() if (m := _ALPHAFOLD_NAME.search(path.name)) else None)
    return Structure(source=str(path), accession=accession, coords=[a[1] for a in atoms], plddt=[a[2] for a in atoms])


def _pdb_atoms(text: str) -> list[tuple[str, tuple[float, float, float], float]]:
    atoms = []
    for line in text.splitlines():
        if line.startswith("ATOM") and line[12:16].strip() == "CA":
            xyz = (float(line[30:38]), float(line[38:46]), float(line[46:54]))
            atoms.append((line[21], xyz, float(line[60:66] or 0)))
    return atoms


def _mmcif_atoms(text: str) -> list[tuple[str, tuple[float, float, float], float]]:
    """The `_atom_site` loop of an mmCIF file (the layout AlphaFold DB and the PDB write)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("_atom_site.")), None)
    if start is None:
        return []
    columns = []
    while start < len(lines) and lines[start].startswith("_atom_site."):
        columns.append(lines[start].split(".", 1)[1].strip())
        start += 1
    col = {name: i for i, name in enumerate(columns)}
    chain_column = col.get("auth_asym_id", col.get("label_asym_id"))
    atoms = []
    for line in lines[start:]:
        if not line.strip() or line.startswith(("#", "loop_", "_")):
            break
        values = shlex.split(line)
        if values[col["group_PDB"]] == "ATOM" and values[col["label_atom_id"]] == "CA":
            xyz = tuple(float(values[col[f"Cartn_{a}"]]) for a in "xyz")
            chain = values[chain_column] if chain_column is not None else "A"
            atoms.append((chain, xyz, float(values[col["B_iso_or_equiv"]])))
    return atoms


def _dbref_accession(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("DBREF") and "UNP" in line[26:33]:
            return line[33:41].strip()
    return None


def render_structure(structure: Structure, out: Path, size: int = 336) -> Path:
    """Backbone trace on white, seen along the structure's smallest principal axis (a fixed camera that
    does not depend on the file's coordinate frame), each segment coloured by its pLDDT band and drawn
    thicker when nearer the viewer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    coords = np.asarray(structure.coords)
    centred = coords - coords.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    axes[2] = np.cross(axes[0], axes[1])  # a right-handed frame, so the view is never mirrored
    for i in range(2):  # fix each axis's sign by the skew of the coordinates along it
        if np.sum((centred @ axes[i]) ** 3) < 0:
            axes[i] = -axes[i]
    axes[2] = np.cross(axes[0], axes[1])
    view = centred @ axes.T
    segments = np.stack([view[:-1, :2], view[1:, :2]], axis=1)
    plddt = np.asarray(structure.plddt)
    colours = [_band_colour(min(a, b)) for a, b in pairwise(plddt)]
    depth = (view[:-1, 2] + view[1:, 2]) / 2
    widths = 1.0 + 2.5 * (depth - depth.min()) / max(np.ptp(depth), 1e-9)
    order = np.argsort(depth)  # far segments first, near ones drawn over them
    figure = plt.figure(figsize=(size / 100, size / 100), dpi=100)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.add_collection(LineCollection(segments[order], colors=[colours[i] for i in order], linewidths=widths[order],
                                     capstyle="round"))
    extent = np.abs(view[:, :2]).max() * 1.05
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.axis("off")
    return _save(figure, out)


def _band_colour(plddt: float) -> str:
    return next(colour for floor, colour in PLDDT_BANDS if plddt >= floor)


def expression_values(adata, gene: str) -> np.ndarray:
    """One gene's expression per cell: from `.raw` (log-normalised counts) when present, else `.X`."""
    source = adata.raw if adata.raw is not None and gene in adata.raw.var_names else adata
    if gene not in source.var_names:
        raise GeneverseError(f"Gene {gene} is not measured in this dataset.")
    column = source[:, gene].X
    column = column.toarray() if hasattr(column, "toarray") else np.asarray(column)
    return column.ravel().astype(float)


def render_spatial_expression(adata, gene: str, out: Path, size: int = 336) -> Path:
    """Cells at their spatial coordinates (`obsm["spatial"]`, as Visium / Xenium AnnData carry them),
    coloured by the gene's expression on a fixed viridis scale from the data's minimum to maximum."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "spatial" not in adata.obsm:
        raise GeneverseError('The AnnData has no spatial coordinates (obsm["spatial"]).')
    xy = np.asarray(adata.obsm["spatial"])[:, :2]
    values = expression_values(adata, gene)
    low, high = float(values.min()), float(values.max())
    order = np.argsort(values)  # expressing cells on top
    figure = plt.figure(figsize=(size / 100, size / 100), dpi=100)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.scatter(xy[order, 0], xy[order, 1], c=values[order], cmap="viridis", vmin=low, vmax=high if high > low else
               low + 1, s=max(4.0, 2e4 / len(values)), linewidths=0)
    ax.set_aspect("equal")
    ax.invert_yaxis()  # image coordinates: y grows downwards, as in Visium / Xenium
    ax.axis("off")
    return _save(figure, out)


def generated_layout(adata, groupby: str, seed: int = 0) -> np.ndarray:
    """Generated 2-D coordinates for data without spatial measurements: each group (cell type) gets its
    own patch of a grid and its cells scatter around the patch centre. Clearly not a measurement; it lets
    the spatial pipeline run on real expression."""
    rng = np.random.default_rng(seed)
    groups = sorted(set(adata.obs[groupby].astype(str)))
    side = int(np.ceil(np.sqrt(len(groups))))
    centres = {g: np.array([i % side, i // side], dtype=float) * 10 for i, g in enumerate(groups)}
    labels = adata.obs[groupby].astype(str).to_numpy()
    return np.stack([centres[label] + rng.normal(scale=2.0, size=2) for label in labels])


def _save(figure, out: Path) -> Path:
    import matplotlib.pyplot as plt

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100, facecolor="white")
    plt.close(figure)
    return out
