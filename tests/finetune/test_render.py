"""Structure and spatial-expression images drawn from the real AlphaFold models and PBMC expression."""

import anndata
import numpy as np
import pytest
from PIL import Image

from finetune.mllm import load_spatial, marker_examples, marker_lists
from finetune.render import (
    PLDDT_BANDS,
    Structure,
    expression_values,
    read_structure,
    render_spatial_expression,
    render_structure,
)
from kg.errors import GeneverseError
from kg.paths import data_dir

COA1_PDB = data_dir() / "alphafold" / "AF-Q9GZY4-F1-model_v1.pdb"
PBMC = data_dir() / "singlecell" / "pbmc68k_reduced.h5ad"
MARKERS = data_dir() / "markers" / "gptcelltype_all_marker_annotations.csv"


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=float)


def test_pdb_and_mmcif_give_the_same_trace(tmp_path):
    structure = read_structure(COA1_PDB)
    assert structure.accession == "Q9GZY4" and len(structure.coords) == 146
    ca_lines = [line for line in COA1_PDB.read_text().splitlines() if line.startswith("ATOM") and " CA " in line]
    assert structure.plddt == [float(line[60:66]) for line in ca_lines]
    header = "data_test\nloop_\n" + "".join(f"_atom_site.{c}\n" for c in (
        "group_PDB", "label_atom_id", "label_asym_id", "auth_asym_id", "Cartn_x", "Cartn_y", "Cartn_z",
        "B_iso_or_equiv"))
    rows = "".join(f"ATOM CA A A {x} {y} {z} {b}\n" for (x, y, z), b in zip(structure.coords, structure.plddt))
    cif = tmp_path / "AF-Q9GZY4-F1-model_v1.cif"
    cif.write_text(header + rows + "#\n")
    assert read_structure(cif).model_dump(exclude={"source"}) == structure.model_dump(exclude={"source"})


def test_camera_is_fixed_whatever_the_coordinate_frame(tmp_path):
    structure = read_structure(COA1_PDB)
    rotation, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    rotation *= np.sign(np.linalg.det(rotation))  # a proper rotation, not a mirror
    moved = Structure(source="moved", coords=[tuple(p) for p in np.asarray(structure.coords) @ rotation.T + 25.0],
                      plddt=structure.plddt)
    original = _pixels(render_structure(structure, tmp_path / "a.png", size=200))
    rotated = _pixels(render_structure(moved, tmp_path / "b.png", size=200))
    assert original.shape == (200, 200, 3)
    assert np.abs(original - rotated).mean() < 1.0  # same picture up to anti-aliasing
    colours = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for _, c in PLDDT_BANDS}
    drawn = {tuple(p) for p in original.reshape(-1, 3).astype(int)}
    assert len(colours & drawn) >= 3  # COA1 spans very high to very low confidence


def test_unreadable_structure_is_a_clear_error(tmp_path):
    bad = tmp_path / "empty.pdb"
    bad.write_text("HEADER nothing here\n")
    with pytest.raises(GeneverseError, match="fewer than three C-alpha atoms"):
        read_structure(bad)
    garbled = tmp_path / "garbled.pdb"
    first_ca = next(line for line in COA1_PDB.read_text().splitlines() if line.startswith("ATOM") and " CA " in line)
    garbled.write_text(first_ca[:30] + "  xx.xxx" + first_ca[38:] + "\n")
    with pytest.raises(GeneverseError, match="malformed atom records"):
        read_structure(garbled)


def test_spatial_map_of_real_expression_on_generated_coordinates(tmp_path):
    adata = load_spatial(PBMC, "bulk_labels", seed=0)
    assert adata.uns["spatial_coordinates"].startswith("generated")
    xy, labels = adata.obsm["spatial"], adata.obs["bulk_labels"].astype(str).to_numpy()
    b_cells = labels == "CD19+ B"
    spread = np.linalg.norm(xy[b_cells] - xy[b_cells].mean(axis=0), axis=1).mean()
    assert spread < np.linalg.norm(xy - xy.mean(axis=0), axis=1).mean() / 2  # a cell type forms a patch
    cd79a = expression_values(adata, "CD79A")
    assert cd79a[b_cells].mean() > 2 * cd79a[~b_cells].mean()  # real B-cell marker expression
    image = _pixels(render_spatial_expression(adata, "CD79A", tmp_path / "CD79A.png", size=160))
    assert image.shape == (160, 160, 3) and image.std() > 0
    with pytest.raises(GeneverseError, match="not measured"):
        expression_values(adata, "NOTAGENE1")


def test_measured_spatial_coordinates_are_used_as_given(tmp_path):
    adata = anndata.read_h5ad(PBMC)
    adata.obsm["spatial"] = np.random.default_rng(1).uniform(0, 1000, size=(adata.n_obs, 2))
    adata.write_h5ad(tmp_path / "visium_like.h5ad")
    loaded = load_spatial(tmp_path / "visium_like.h5ad", "no-such-column", seed=0)
    assert "spatial_coordinates" not in loaded.uns
    assert np.allclose(loaded.obsm["spatial"], adata.obsm["spatial"])
    del adata.obsm["spatial"]
    adata.write_h5ad(tmp_path / "plain.h5ad")
    with pytest.raises(GeneverseError, match="neither"):
        load_spatial(tmp_path / "plain.h5ad", "no-such-column", seed=0)


def test_marker_questions_follow_the_marker_lists(tmp_path):
    adata = load_spatial(PBMC, "bulk_labels", seed=0)
    lists = marker_lists(MARKERS, "PBMC")[:4]
    examples = marker_examples(adata, lists, tmp_path, image_size=64, seed=0)
    markers_of = dict(lists)
    yes = [e for e in examples if e.answer == "Yes"]
    assert yes and len(yes) == len(examples) - len(yes)
    for example in examples:
        gene = example.question.split("Is gene ")[1].split(" a marker")[0]
        cell_type = example.question.split("cell type ")[1].rstrip("?")
        assert (gene in markers_of[cell_type]) == (example.answer == "Yes")
        assert example.image.endswith(f"{gene}.png")
