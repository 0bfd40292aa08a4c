"""Multimodal questions about an image: which protein a rendered structure shows, and whether a gene whose
spatial expression an image shows is a marker of a cell type. Both call a LLaVA-style model fine-tuned by
`geneverse finetune mllm` (a LoRA adapter folder, or a full LLaVA folder)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from pydantic import BaseModel

from kg.errors import GeneverseError
from tools.llm import ModelUnavailable

PROTEIN_QUESTION = "What is the name of this protein?"
MARKER_QUESTION = "Is gene {gene} a marker gene of cell type {cell_type}?"
# The LLaVA-1.5 layout, used when the processor brings no chat template of its own.
LLAVA_PROMPT = "USER: <image>\n{question} ASSISTANT:"


class MLLMAnswer(BaseModel):
    answer: str
    model: str
    image: str
    question: str


def llava_prompt(processor, question: str) -> str:
    """The text before the answer; training and inference share it."""
    if getattr(processor, "chat_template", None):
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]
        return processor.apply_chat_template(messages, add_generation_prompt=True)
    return LLAVA_PROMPT.format(question=question)


def open_image(path: str | Path):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError) as err:
        raise GeneverseError(f"Cannot read image {path}: {err}") from None


class MultimodalModel:
    """A LLaVA-style model (with its LoRA adapter merged in) answering one question about one image."""

    def __init__(self, folder: Path):
        import torch
        from transformers import AutoProcessor, LlavaForConditionalGeneration

        adapter_config = folder / "adapter_config.json"
        if adapter_config.is_file():
            from peft import PeftModel

            base = Path(json.loads(adapter_config.read_text())["base_model_name_or_path"])
            if not (base / "config.json").is_file():
                raise ModelUnavailable(f"The adapter at {folder} needs its base LLaVA model at {base}.")
            model = PeftModel.from_pretrained(LlavaForConditionalGeneration.from_pretrained(base), folder)
            model = model.merge_and_unload()
            self.name = f"{base.name} + {folder.name}"
            processor = folder if (folder / "preprocessor_config.json").is_file() else base
        elif (folder / "config.json").is_file():
            # A full model keeps its processor beside it; there is no base folder to fall back on.
            if not (folder / "preprocessor_config.json").is_file():
                raise ModelUnavailable(f"The LLaVA model at {folder} lacks its processor (preprocessor_config.json).")
            processor = folder
            model = LlavaForConditionalGeneration.from_pretrained(folder)
            self.name = folder.name
        else:
            raise ModelUnavailable(f"No LLaVA model or adapter at {folder}.")
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.processor = AutoProcessor.from_pretrained(processor)
        self.model = model.to(self.device).eval()
        self._lock = threading.Lock()

    def ask(self, image_path: str | Path, question: str, max_new_tokens: int = 32) -> str:
        import torch

        image = open_image(image_path)
        inputs = self.processor(images=image, text=llava_prompt(self.processor, question), return_tensors="pt")
        inputs = inputs.to(self.device)
        tokenizer = self.processor.tokenizer
        with self._lock, torch.inference_mode():
            output = self.model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False,
                                         pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)
        return tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()


_models: dict[Path, MultimodalModel] = {}
_models_lock = threading.Lock()


def load_mllm(model_path: str | Path) -> MultimodalModel:
    folder = Path(model_path).expanduser().resolve()
    with _models_lock:
        if folder not in _models:
            _models[folder] = MultimodalModel(folder)
        return _models[folder]


def _configured(model_path: str | None, variable: str, task: str) -> str:
    path = model_path or os.environ.get(variable)
    if not path:
        raise ModelUnavailable(
            f"No {task} model is configured: set {variable} to a folder trained with "
            f"`geneverse finetune mllm --task {task}`, or pass model_path."
        )
    return path


def identify_protein(image_path: str, model_path: str | None = None) -> MLLMAnswer:
    """Name the protein shown in a structure image (rendered as by `finetune.render.render_structure`)."""
    model = load_mllm(_configured(model_path, "GENEVERSE_MLLM_PROTEIN", "protein"))
    answer = model.ask(image_path, PROTEIN_QUESTION)
    return MLLMAnswer(answer=answer, model=model.name, image=str(image_path), question=PROTEIN_QUESTION)


def is_marker_gene(image_path: str, gene: str, cell_type: str, model_path: str | None = None) -> MLLMAnswer:
    """Whether `gene`, whose spatial expression the image shows, marks `cell_type`: "yes", "no", or the
    model's words when it answers neither."""
    model = load_mllm(_configured(model_path, "GENEVERSE_MLLM_MARKER", "marker"))
    question = MARKER_QUESTION.format(gene=gene, cell_type=cell_type)
    reply = model.ask(image_path, question, max_new_tokens=8)
    first = reply.split()[0].strip(".,!").lower() if reply.split() else ""
    answer = first if first in ("yes", "no") else reply
    return MLLMAnswer(answer=answer, model=model.name, image=str(image_path), question=question)
