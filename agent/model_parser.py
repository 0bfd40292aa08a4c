"""The fine-tuned semantic parser: a small causal LM with the project's LoRA adapter writes a question's typed
plan as compact JSON, decoded under the plan's JSON schema so that every output parses.

Constrained decoding uses xgrammar (the plan's JSON schema compiled to a grammar over the model's tokenizer):
it works with the pinned transformers through its own token matcher, is compiled C++ (a mask per step costs
microseconds) and finds the text the grammar forces next (`find_jump_forward_string`). That text is a draft,
not an order: it goes into the same forward pass as the last chosen token and each of its tokens is kept only
while the model's own greedy choice agrees (the model may prefer one token that spans the forced text and
what follows, as `","` does, and feeding the forced text as given would put it off its training tokenisation).
On two CPU cores a pass costs about 50 ms whatever its length, so the keys and punctuation are nearly free,
and the output is exactly what token-by-token greedy decoding under the grammar writes. The plan's names and
values stay as the question wrote them; `tools.query.bind` links them to records after decoding, so the model
never has to know an identifier. The model loads on the first question the rules are unsure of."""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rapidfuzz import fuzz

from agent.parse import ParsedPlan
from kg.errors import GeneverseError
from tools.llm import ADAPTERS_DIR, LLMConfig, format_prompt, load_llm, packaged_model_dir
from tools.query.bind import bind
from tools.query.plan import Plan, field_kind, kinds, plan_json_schema

DEFAULT_ADAPTER = ADAPTERS_DIR / "geneverse-parser-smollm2-135m"
TOOLS = ("describe", "go_enrichment", "tracks", "retrieval")
MAX_NEW_TOKENS = 160
FOUND = 85  # how closely (rapidfuzz partial ratio) a name in the plan must match some part of the question


def _plain(text: str) -> str:
    return " ".join(text.lower().replace(",", "").split())


def unfounded(plan: Plan, question: str) -> list[str]:
    """The names and numbers of a plan that the question does not write: the model copies them from the
    question, so one it made up means it read a different question. Values of enumerated properties (a locus
    group, an assay) are the graph's words and are checked by linking instead."""
    kind = kinds()[plan.find]
    written = list(plan.names)
    for condition in plan.where:
        named = field_kind(kind, condition.on) in {"link", "location"}
        written += [v for v in condition.values if named or any(ch.isdigit() for ch in v)]
    asked = _plain(question)
    return [text for text in written if fuzz.partial_ratio(_plain(text), asked) < FOUND]


def constrained_schema() -> dict[str, Any]:
    """The plan's JSON schema, with the tool names a plan may call spelled out."""
    schema = plan_json_schema()
    schema["properties"]["tool"] = {"anyOf": [{"enum": list(TOOLS), "type": "string"}, {"type": "null"}],
                                    "default": None}
    return schema


def copied_next(written: str, question: str, length: int = 32) -> str:
    """Inside a string the model is most likely copying the question: what follows the string's text so far
    there is the draft for the next pass (a guess the model's own choices then keep or cut)."""
    quotes = written.count('"') - written.count('\\"')
    start = written.rfind('"') + 1
    if quotes % 2 == 0 or start == len(written):
        return ""
    tail = written[start:]
    at = question.find(tail)
    if at < 0:
        at = question.lower().find(tail.lower())
    return question[at + len(tail):at + len(tail) + length] if at >= 0 else ""


def seen_next(written: str, plans: str, length: int = 32) -> str:
    """What followed the longest recent stretch of the plan so far (up to 24 characters, at least 6) in the
    training plans: the plans share their keys, operations and fields, so that is the likely next text."""
    for back in (24, 16, 10, 6):
        if len(written) < back:
            continue
        at = plans.find(written[-back:])
        if at >= 0:
            follows = plans[at + back:at + back + length]
            return follows.split("\n", 1)[0]
    return ""


class ModelParser:
    """Questions to plans with the fine-tuned parser; `parse` validates the plan and links its names."""

    def __init__(self, adapter: Path = DEFAULT_ADAPTER, base: str | None = None):
        self.adapter = Path(adapter)
        settings = self.adapter / "parser.json"
        if not (self.adapter / "adapter_config.json").is_file() or not settings.is_file():
            raise GeneverseError(f"No parser adapter at {self.adapter}: train one with `geneverse finetune parser`.")
        saved = json.loads(settings.read_text())
        self.system = saved["system"]
        drafts = self.adapter / saved.get("drafts", "plans.txt")
        self.plans = drafts.read_text() if drafts.is_file() else ""
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
        """The model's plan as JSON, the geometric mean probability of the tokens it chose where the grammar
        left a choice, and the number of forward passes."""
        import torch
        import xgrammar as xgr

        with self._lock:
            model, tokenizer, grammar, info = self._load()
            matcher = xgr.GrammarMatcher(grammar)
            mask = xgr.allocate_token_bitmask(1, info.vocab_size)
            prompt = format_prompt(tokenizer, question, system=self.system, template="chat")
            pending = tokenizer(prompt, add_special_tokens=False).input_ids  # not yet in the cache
            past, written, log_probs, passes = None, [], [], 0
            with torch.inference_mode():
                while len(written) < MAX_NEW_TOKENS and not matcher.is_terminated():
                    so_far = tokenizer.decode(written)
                    guess = (matcher.find_jump_forward_string() or copied_next(so_far, question)
                             or seen_next(so_far, self.plans))
                    draft = tokenizer(guess, add_special_tokens=False).input_ids
                    out = model(input_ids=torch.tensor([pending + draft]), past_key_values=past, use_cache=True)
                    passes += 1
                    past, cached = out.past_key_values, out.past_key_values.get_seq_length()
                    for j in range(len(draft) + 1):
                        logits = out.logits[:, len(pending) - 1 + j, :].float()
                        matcher.fill_next_token_bitmask(mask)
                        xgr.apply_token_bitmask_inplace(logits, mask.to(logits.device))
                        chosen = int(torch.argmax(logits, dim=-1))
                        if int(torch.isfinite(logits).sum()) > 1:
                            log_probs.append(float(torch.log_softmax(logits, dim=-1)[0, chosen]))
                        if not matcher.accept_token(chosen):
                            raise GeneverseError("the parser's grammar refused a token its own mask allowed")
                        if matcher.is_terminated():
                            break
                        written.append(chosen)
                        if j == len(draft) or chosen != draft[j]:
                            # the draft is kept up to here; the cache forgets the rest of it
                            past.crop(cached - len(draft) + j)
                            pending = [chosen]
                            break
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
            if made_up := unfounded(plan, question):
                return ParsedPlan(parser="model", confidence=confidence,
                                  reason=f"the parser's plan names {', '.join(made_up)}, which the question does not")
            if plan.op not in {"tool", "decline"}:
                bind(plan, graph)
        except ValidationError as err:
            return ParsedPlan(parser="model", confidence=confidence,
                              reason=f"the parser's plan does not fit the schema ({err.errors()[0]['msg']})")
        except GeneverseError as err:
            return ParsedPlan(parser="model", confidence=confidence, reason=f"the parser's plan names {err}")
        return ParsedPlan(plan=plan, parser="model", confidence=round(confidence, 3),
                          reason=f"read by the fine-tuned parser {self.name} ({took})")
