"""Language-model backends: the packaged SmolLM2, a local HF folder with a PEFT adapter, and an
OpenAI-compatible server (a real HTTP server on 127.0.0.1 speaking the chat-completions protocol)."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import torch

from finetune.tiny import build_tiny_llm
from kg.errors import BackendUnavailable, GeneverseError
from tools.describe import facts_packet, grounded_prompt
from tools.llm import DESCRIBE_PROMPT, LLMConfig, ModelUnavailable, load_llm, packaged_model_dir


def test_packaged_model_generates_deterministically():
    folder = packaged_model_dir()
    assert (folder / "model.safetensors").is_file()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".smollm2")]  # no staging left
    generator = load_llm(LLMConfig(adapter=None, max_new_tokens=16))
    assert generator.name == "SmolLM2-135M-Instruct"
    assert generator.tokenizer.eos_token == "<|im_end|>"
    prompts = [DESCRIBE_PROMPT.format(symbol="TP53"), "What is the official symbol of HER2?"]
    first = generator.generate(prompts[0])
    assert first and first == generator.generate(prompts[0])
    # left-padded batch decoding gives what one-by-one decoding gives
    assert generator.generate_batch(prompts) == [first, generator.generate(prompts[1])]
    assert load_llm(LLMConfig(adapter=None, max_new_tokens=16)) is generator


def test_packaged_adapters_load_by_name(graph):
    plain = load_llm(LLMConfig(adapter=None, max_new_tokens=16))
    paper = load_llm(LLMConfig(adapter="paper", max_new_tokens=16))
    grounded = load_llm(LLMConfig(max_new_tokens=24))
    assert paper.name == "SmolLM2-135M-Instruct + geneverse-lora"
    assert grounded.name == "SmolLM2-135M-Instruct + geneverse-grounded-lora"
    prompt = DESCRIBE_PROMPT.format(symbol="TP53")
    # the paper adapter learned the Geneverse layout: the answer opens with the symbol and its full name
    assert paper.generate(prompt).startswith("TP53 (") and not plain.generate(prompt).startswith("TP53 (")
    # the grounded adapter learned RefSeq's register from facts packets: "This gene encodes ..."
    facts = grounded_prompt(facts_packet("CASP10", graph, include_summary=False))
    refseq_openings = ("This gene", "The protein encoded", "The encoded")
    assert grounded.generate(facts).startswith(refseq_openings) and not plain.generate(facts).startswith(refseq_openings)


@pytest.fixture(scope="module")
def tiny_model_with_adapter(tmp_path_factory):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    root = tmp_path_factory.mktemp("tiny")
    base = build_tiny_llm(root / "tiny-llama")
    model = AutoModelForCausalLM.from_pretrained(base)
    torch.manual_seed(1)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, lora).save_pretrained(root / "random-adapter")
    return base, root / "random-adapter"


def test_hf_folder_with_peft_adapter(tiny_model_with_adapter):
    base, adapter = tiny_model_with_adapter
    plain = load_llm(LLMConfig(backend="hf", model_path=str(base), adapter=None, max_new_tokens=8))
    adapted = load_llm(LLMConfig(backend="hf", model_path=str(base), adapter=str(adapter), max_new_tokens=8))
    assert plain.name == "tiny-llama" and adapted.name == "tiny-llama + random-adapter"
    ids = plain.tokenizer("gene pathway", return_tensors="pt").input_ids
    with torch.no_grad():
        assert not torch.allclose(plain.model(ids).logits, adapted.model(ids).logits)
    prompts = ["gene", "protein pathway function"]
    assert adapted.generate_batch(prompts) == adapted.generate_batch(prompts)
    # "default" means the packaged adapter, which belongs to the packaged base model only
    assert load_llm(LLMConfig(backend="hf", model_path=str(base), max_new_tokens=8)).name == "tiny-llama"


def test_missing_model_or_adapter_is_a_clear_error(tmp_path, tiny_model_with_adapter):
    base, _ = tiny_model_with_adapter
    with pytest.raises(ModelUnavailable, match="config.json missing"):
        load_llm(LLMConfig(backend="hf", model_path=str(tmp_path / "nowhere")))
    with pytest.raises(ModelUnavailable, match="adapter_config.json missing"):
        load_llm(LLMConfig(backend="hf", model_path=str(base), adapter=str(tmp_path)))
    with pytest.raises(ModelUnavailable, match="needs a model folder"):
        load_llm(LLMConfig(backend="hf"))


def test_config_from_env(monkeypatch):
    monkeypatch.setenv("GENEVERSE_LLM_BACKEND", "openai")
    monkeypatch.setenv("GENEVERSE_OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("GENEVERSE_ADAPTER", "none")
    monkeypatch.setenv("GENEVERSE_MAX_NEW_TOKENS", "64")
    config = LLMConfig.from_env(model="served", api_key=None)
    assert (config.backend, config.base_url, config.adapter, config.max_new_tokens, config.model) == (
        "openai", "http://127.0.0.1:8000/v1", None, 64, "served"
    )
    assert config.temperature == 0.0
    monkeypatch.setenv("GENEVERSE_LLM_BACKEND", "llamafile")
    with pytest.raises(GeneverseError, match="Invalid language-model settings .*backend"):
        LLMConfig.from_env()


class ChatCompletionsHandler(BaseHTTPRequestHandler):
    """Speaks /v1/models and /v1/chat/completions; replies with the user turn reversed so each answer
    depends on what was sent."""

    requests: ClassVar[list[dict]] = []

    def log_message(self, *args):
        pass

    def _send(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._send({"object": "list", "data": [{"id": "local-model", "object": "model", "created": 0,
                                                "owned_by": "test"}]})

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(request)
        user = [m for m in request["messages"] if m["role"] == "user"][-1]["content"]
        self._send({
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": request["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": f" {user[::-1]} "}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })


@pytest.fixture
def chat_server():
    ChatCompletionsHandler.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChatCompletionsHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/v1", ChatCompletionsHandler.requests
    server.shutdown()
    server.server_close()


def test_openai_compatible_endpoint(chat_server):
    base_url, requests = chat_server
    generator = load_llm(LLMConfig(backend="openai", base_url=base_url, max_new_tokens=32))
    assert generator.name == f"local-model @ {base_url}"  # the served model is discovered
    assert generator.generate("GATA4", system="be brief") == "4ATAG"
    assert generator.generate_batch(["ab", "xyz"]) == ["ba", "zyx"]
    sent = requests[0]
    assert sent["model"] == "local-model" and sent["temperature"] == 0.0 and sent["max_tokens"] == 32
    assert sent["messages"][0] == {"role": "system", "content": "be brief"}
    reply = generator.chat_model().invoke("HER2")
    assert reply.content.strip() == "2REH"


def test_unreachable_endpoint_is_a_clear_error():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = LLMConfig(backend="openai", base_url=f"http://127.0.0.1:{port}/v1", model="m")
    with pytest.raises(BackendUnavailable, match="Cannot reach the model server"):
        load_llm(config).generate("hello")
