"""A full LLaVA folder without its processor is one clear message, not an error about a missing name."""

import pytest

from finetune.tiny import build_tiny_llava
from tools.llm import ModelUnavailable
from tools.mllm import identify_protein


def test_full_model_without_processor_is_a_clear_error(tmp_path):
    folder = build_tiny_llava(tmp_path / "tiny-llava")
    (folder / "preprocessor_config.json").unlink()
    image = tmp_path / "image.png"
    image.write_bytes(b"")
    with pytest.raises(ModelUnavailable, match=r"lacks its processor \(preprocessor_config.json\)"):
        identify_protein(str(image), model_path=str(folder))
