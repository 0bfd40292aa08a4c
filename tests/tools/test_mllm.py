"""The multimodal tools' contract: configuration, unreadable images, and a plain LLaVA folder."""

import pytest

from finetune.render import read_structure, render_structure
from finetune.tiny import build_tiny_llava
from kg.errors import GeneverseError
from kg.paths import data_dir
from tools.llm import ModelUnavailable
from tools.mllm import PROTEIN_QUESTION, identify_protein, is_marker_gene


@pytest.fixture(scope="module")
def structure_image(tmp_path_factory):
    structure = read_structure(data_dir() / "alphafold" / "AF-Q9BVV7-F1-model_v1.pdb")
    return render_structure(structure, tmp_path_factory.mktemp("images") / "TIMM21.png", size=96)


def test_no_configured_model_is_a_clear_error(monkeypatch, structure_image):
    monkeypatch.delenv("GENEVERSE_MLLM_PROTEIN", raising=False)
    monkeypatch.delenv("GENEVERSE_MLLM_MARKER", raising=False)
    with pytest.raises(ModelUnavailable, match="GENEVERSE_MLLM_PROTEIN"):
        identify_protein(str(structure_image))
    with pytest.raises(ModelUnavailable, match="GENEVERSE_MLLM_MARKER"):
        is_marker_gene(str(structure_image), "CD79A", "B cell")
    with pytest.raises(ModelUnavailable, match="No LLaVA model or adapter"):
        identify_protein(str(structure_image), model_path=str(structure_image.parent))


def test_plain_llava_folder_from_the_environment_answers(monkeypatch, tmp_path, structure_image):
    folder = build_tiny_llava(tmp_path / "tiny-llava")
    monkeypatch.setenv("GENEVERSE_MLLM_PROTEIN", str(folder))
    first = identify_protein(str(structure_image))
    assert first.model == "tiny-llava" and first.question == PROTEIN_QUESTION
    assert first == identify_protein(str(structure_image))  # greedy: the same answer twice
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("plain text")
    with pytest.raises(GeneverseError, match="Cannot read image"):
        identify_protein(str(not_an_image))
