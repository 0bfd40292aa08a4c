"""The fine-tuned semantic parser: a small causal LM with the project's LoRA adapter writes a question's typed
plan as compact JSON, decoded under the plan's JSON schema so that every output parses.

Constrained decoding uses xgrammar (the plan's JSON schema compiled to a grammar over the model's tokenizer):
it works with the pinned transformers through its own token matcher, is compiled C++ (a mask per step costs
microseconds) and finds the text the grammar forces next (`find_jump_forward_string`), which this loop feeds to
the model in one forward pass instead of one pass per token: on two CPU cores a pass costs about 50 ms whatever
its length, so the keys and punctuation of the JSON are nearly free. The plan's names and values stay as the
question wrote them; `tools.query.bind` links them to records after decoding, so the model never has to know
an identifier. The model loads on the first question the rules are unsure of."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agent.parse import ParsedPlan
from kg.errors import GeneverseError
from tools.llm import ADAPTERS_DIR, LLMConfig, format_prompt, load_llm, packaged_model_dir
from tools.query.bind import bind
from tools.query.plan import Plan, plan_json_schema

DEFAULT_ADAPTER = ADAPTERS_DIR / "geneverse-parser-smollm2-135m"
TOOLS = ("describe", "go_enrichment", "tracks", "retrieval")
MAX_NEW_TOKENS = 160


def constrained_schema() -> dict[str, Any]:
    """The plan's JSON schema, with the tool names a plan may call spelled out."""
    schema = plan_json_schema()
    schema["properties"]["tool"] = {"anyOf": [{"enum": list(TOOLS), "type": "string"}, {"type": "null"}],
                                    "default": None}
    return schema


class ModelParser:
    """Questions to plans with the fine-tuned parser; `parse` validates the plan and links its names."""

    def __init__(self, adapter: Path = DEFAULT_ADAPTER, base: str | None = None):
        self.adapter = Path(adapter)
        settings = self.adapter / "parser.json"
        if not (self.adapter / "adapter_config.json").is_file() or not settings.is_file():
            raise GeneverseError(f"No parser adapter at {self.adapter}: train one with `geneverse finetune parser`.")
        saved = json.loads(settings.read_text())
        self.system = saved["system"]
        self.base = base or saved.get("base", "default")
        self.name = f"{self.adapter.name}"
        self._loaded: tuple | None = None
        self._lock = threading.Lock()

    @classmethod
    def packaged(cls) -> ModelParser | None:
        """The parser shipped with the project, when its adapter is present."""
        return cls() if (DEFAULT_ADAPTER / "parser.json").is_file() else None

    def _load(self):
        if self._loaded is None:
            import xgrammar as xgr

            base = packaged_model_dir() if self.base == "default" else Path(self.base)
            generator = load_llm(LLMConfig(backend="hf", model_path=str(base), adapter=str(self.adapter),
                                           max_new_tokens=MAX_NEW_TOKENS))
            model, tokenizer = generator.model, generator.tokenizer
            info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=model.config.vocab_size)
            grammar = xgr.GrammarCompiler(info).compile_json_schema(
                json.dumps(constrained_schema()), any_whitespace=False, separators=(",", ":"))
            self._loaded = (model, tokenizer, grammar, info)
        return self._loaded

    def propose(self, question: str) -> tuple[dict[str, Any], float, int]:
        """The model's plan as JSON, the geometric mean probability of the tokens it chose (the forced ones
        aside), and the number of forward passes."""
        import torch
        import xgrammar as xgr

        with self._lock:
            model, tokenizer, grammar, info = self._load()
            matcher = xgr.GrammarMatcher(grammar)
            mask = xgr.allocate_token_bitmask(1, info.vocab_size)
            prompt = format_prompt(tokenizer, question, system=self.system, template="chat")
            feed = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
            past, written, log_probs, passes = None, [], [], 0
            with torch.inference_mode():
                while len(written) < MAX_NEW_TOKENS:
                    out = model(input_ids=feed, past_key_values=past, use_cache=True)
                    passes += 1
                    past = out.past_key_values
                    forced = matcher.find_jump_forward_string()
                    if forced:  # what the grammar leaves no choice about goes in with the next pass
                        ids = tokenizer(forced, add_special_tokens=False).input_ids
                        if all(matcher.accept_token(i) for i in ids):
                            written += ids
                            feed = torch.tensor([ids])
                            continue
                        raise GeneverseError("the parser's grammar rejected its own forced text")
                    logits = out.logits[:, -1, :].float()
                    matcher.fill_next_token_bitmask(mask)
                    xgr.apply_token_bitmask_inplace(logits, mask.to(logits.device))
                    chosen = int(torch.argmax(logits, dim=-1))
                    log_probs.append(float(torch.log_softmax(logits, dim=-1)[0, chosen]))
                    if not matcher.accept_token(chosen):
                        break
                    if matcher.is_terminated():
                        break
                    written.append(chosen)
                    feed = torch.tensor([[chosen]])
        text = tokenizer.decode(written, skip_special_tokens=True)
        confidence = math.exp(sum(log_probs) / len(log_probs)) if log_probs else 0.0
        return json.loads(text), confidence, passes

    def parse(self, question: str, graph) -> ParsedPlan:
        """The model's plan for a question, when it validates and its names link to records; else why not."""
        started = time.perf_counter()
        try:
            proposed, confidence, passes = self.propose(question)
        except (json.JSONDecodeError, GeneverseError) as err:
            return ParsedPlan(parser="model", reason=f"the parser wrote no plan ({err})")
        took = f"{passes} passes, {time.perf_counter() - started:.2f} s"
        try:
            plan = Plan.model_validate(proposed)
            if plan.op not in {"tool", "decline"}:
                bind(plan, graph)
        except ValidationError as err:
            return ParsedPlan(parser="model", confidence=confidence,
                              reason=f"the parser's plan does not fit the schema ({err.errors()[0]['msg']})")
        except GeneverseError as err:
            return ParsedPlan(parser="model", confidence=confidence, reason=f"the parser's plan names {err}")
        return ParsedPlan(plan=plan, parser="model", confidence=round(confidence, 3),
                          reason=f"read by the fine-tuned parser {self.name} ({took})")
