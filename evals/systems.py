"""Systems that describe genes, built from a configuration file (`evals/systems.toml`).

A system turns gene symbols into descriptions. Kinds: "llm" (the language model alone), "rag"
(Chroma retrieval, then the model), "template" (the graph's facts strung together, no model) and "agent"
(the Geneverse agent's describe: grounded, the model drafts from the graph's facts packet and each sentence
is checked against it; or ungrounded, the paper's symbol-only draft post-corrected against the graph). A user adds a model, an adapter or an endpoint by adding a section to the
file; no code changes.
"""

from __future__ import annotations

import hashlib
import json
import time
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from kg.errors import GeneverseError
from tools.llm import DESCRIBE_PROMPT, PACKAGED_ADAPTERS, LLMConfig, ModelUnavailable, load_llm

DEFAULT_SYSTEMS_FILE = Path(__file__).with_name("systems.toml")
MAX_NEW_TOKENS = 200


class SystemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["llm", "rag", "agent", "template"]
    label: str | None = None
    backend: Literal["default", "hf", "openai"] = "default"
    model_path: str | None = None
    adapter: str | None = "none"
    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    k: int = 5
    context_chars: int = 1200
    batch: int = 8
    max_new_tokens: int = MAX_NEW_TOKENS
    tidy: bool = True
    grounded: bool = True
    draft: bool = True

    @property
    def reads_graph(self) -> bool:
        """Whether the answers depend on the graph or index (and so on the withheld-summaries setting)."""
        return self.kind in ("rag", "agent", "template")

    def llm_config(self) -> LLMConfig:
        adapter = None if (self.adapter or "none").lower() == "none" else self.adapter
        if adapter in PACKAGED_ADAPTERS and not (PACKAGED_ADAPTERS[adapter][0] / "adapter_config.json").is_file():
            raise ModelUnavailable(
                f"System '{self.name}' needs the Geneverse LoRA adapter '{adapter}', which is not trained yet "
                f"(no {PACKAGED_ADAPTERS[adapter][0]}/adapter_config.json). Train it with `geneverse finetune`.")
        return LLMConfig(backend=self.backend, model_path=self.model_path, adapter=adapter,
                         base_url=self.base_url, api_key=self.api_key, model=self.model,
                         max_new_tokens=self.max_new_tokens, temperature=0.0)


def load_specs(path: Path = DEFAULT_SYSTEMS_FILE) -> dict[str, SystemSpec]:
    if not path.is_file():
        raise GeneverseError(f"No systems file at {path}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise GeneverseError(f"{path}: not valid TOML: {err}") from err
    specs = {}
    for name, values in raw.get("systems", {}).items():
        try:
            specs[name] = SystemSpec(name=name, **values)
        except ValueError as err:
            raise GeneverseError(f"{path}: system '{name}': {err}") from err
    return specs


def select_specs(names: list[str], path: Path = DEFAULT_SYSTEMS_FILE) -> list[SystemSpec]:
    specs = load_specs(path)
    unknown = [n for n in names if n not in specs]
    if unknown:
        raise GeneverseError(f"Unknown system(s) {', '.join(unknown)}; {path} defines {', '.join(specs)}")
    return [specs[n] for n in names]


class Description(BaseModel):
    symbol: str
    text: str
    seconds: float
    model: str | None = None
    provenance: dict[str, Any] = {}
    error: str | None = None


class CachedGenerator:
    """A language model behind a persistent cache of greedy generations (JSONL, one line per prompt).

    Greedy decoding makes a prompt's text a pure function of the model, so a generation is computed
    once per output folder: a resumed run, the withheld-summaries run of a system that never reads the
    graph, and the agent's draft (the same prompt to the same model as the fine-tuned system) reuse it.
    The seconds spent are kept with each text, so timings stay honest on a cache hit.
    """

    def __init__(self, llm: Any, path: Path | None):
        self.llm, self.path, self.name = llm, path, llm.name
        self.entries: dict[str, dict[str, Any]] = {}
        if path is not None and path.is_file():
            for line in path.read_text().splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:  # a line another run is still writing
                    continue
                self.entries[entry["key"]] = entry

    def key(self, prompt: str, system: str | None, max_new_tokens: int | None) -> str:
        tokens = max_new_tokens or self.llm.config.max_new_tokens
        return hashlib.sha256(json.dumps([self.name, system, tokens, prompt]).encode()).hexdigest()[:24]

    def seconds(self, prompt: str, system: str | None = None, max_new_tokens: int | None = None) -> float:
        return self.entries[self.key(prompt, system, max_new_tokens)]["seconds"]

    def generate(self, prompt: str, *, system: str | None = None, max_new_tokens: int | None = None) -> str:
        return self.generate_batch([prompt], system=system, max_new_tokens=max_new_tokens)[0]

    def generate_batch(self, prompts: list[str], *, system: str | None = None,
                       max_new_tokens: int | None = None) -> list[str]:
        keys = [self.key(p, system, max_new_tokens) for p in prompts]
        missing = [p for p, k in zip(prompts, keys, strict=True) if k not in self.entries]
        if missing:
            started = time.perf_counter()
            texts = self.llm.generate_batch(missing, system=system, max_new_tokens=max_new_tokens)
            each = (time.perf_counter() - started) / len(missing)
            new = [{"key": self.key(p, system, max_new_tokens), "text": t, "seconds": round(each, 3)}
                   for p, t in zip(missing, texts, strict=True)]
            self.entries.update((e["key"], e) for e in new)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a") as sink:
                    for entry in new:  # one write per line: runs sharing the file never interleave lines
                        sink.write(json.dumps(entry) + "\n")
                        sink.flush()
        return [self.entries[k]["text"] for k in keys]

    def chat_model(self) -> Any:
        return self.llm.chat_model()


class DescribeSystem:
    """Describes a batch of genes; subclasses say how."""

    def __init__(self, spec: SystemSpec):
        self.spec = spec

    @property
    def batch_size(self) -> int:
        return self.spec.batch

    def describe_batch(self, symbols: list[str]) -> list[Description]:
        raise NotImplementedError


class LLMSystem(DescribeSystem):
    def __init__(self, spec: SystemSpec, cache: Path | None = None):
        super().__init__(spec)
        self.llm = CachedGenerator(load_llm(spec.llm_config()), cache)

    def describe_batch(self, symbols: list[str]) -> list[Description]:
        prompts = [DESCRIBE_PROMPT.format(symbol=s) for s in symbols]
        texts = self.llm.generate_batch(prompts)
        return [Description(symbol=s, text=t, seconds=self.llm.seconds(p), model=self.llm.name,
                            provenance={"tool": "llm.describe"})
                for s, p, t in zip(symbols, prompts, texts, strict=True)]


class RagDescribeSystem(DescribeSystem):
    def __init__(self, spec: SystemSpec, index: Any, cache: Path | None = None):
        from retrieval.rag import RagSystem

        super().__init__(spec)
        self.llm = CachedGenerator(load_llm(spec.llm_config()), cache)
        self.rag = RagSystem(index, self.llm, k=spec.k, question=DESCRIBE_PROMPT, max_context_chars=spec.context_chars)

    def describe_batch(self, symbols: list[str]) -> list[Description]:
        from retrieval.rag import SYSTEM

        started = time.perf_counter()
        retrieved = [self.rag.retrieve(s) for s in symbols]
        retrieval_each = (time.perf_counter() - started) / len(symbols)
        prompts = [self.rag.prompt(s, docs) for s, docs in zip(symbols, retrieved, strict=True)]
        texts = self.llm.generate_batch(prompts, system=SYSTEM)
        return [Description(symbol=s, text=t, seconds=retrieval_each + self.llm.seconds(p, SYSTEM),
                            model=self.llm.name,
                            provenance={"tool": "retrieval.rag", "records": [d.gene_id for d in docs],
                                        "retrieved": [d.symbol for d in docs]})
                for s, p, t, docs in zip(symbols, prompts, texts, retrieved, strict=True)]


class AgentDescribeSystem(DescribeSystem):
    def __init__(self, spec: SystemSpec, graph: Any, cache: Path | None = None):
        from agent.graph import GeneverseAgent

        super().__init__(spec)
        self.graph = graph
        # The agent drafts with the cached model: a batch of drafts is generated together here (and shared
        # with an identical llm system), and the agent's own call finds each in the cache.
        self.llm = CachedGenerator(load_llm(spec.llm_config()), cache) if spec.draft else None
        self.agent = GeneverseAgent(graph, llm_config=spec.llm_config(), use_llm=False, tidy_drafts=spec.tidy,
                                    generator=self.llm)

    def _drafts(self, symbols: list[str]) -> list[tuple[str, int | None]]:
        """The prompt (and token cap) of each gene's draft, generated here in one batch so that the agent's own
        call finds it in the cache."""
        from tools.describe import DRAFT_TOKENS, facts_packet, grounded_prompt

        if self.spec.grounded:
            drafts = [(grounded_prompt(facts_packet(s, self.graph)), DRAFT_TOKENS) for s in symbols]
        else:
            drafts = [(DESCRIBE_PROMPT.format(symbol=s), None) for s in symbols]
        self.llm.generate_batch([p for p, _ in drafts], max_new_tokens=drafts[0][1])
        return drafts

    def describe_batch(self, symbols: list[str]) -> list[Description]:
        drafts = self._drafts(symbols) if self.llm is not None else [(None, None)] * len(symbols)
        described = []
        for symbol, (prompt, tokens) in zip(symbols, drafts, strict=True):
            started = time.perf_counter()
            answer = self.agent.describe(symbol, draft=self.spec.draft, grounded=self.spec.grounded)
            drafting = self.llm.seconds(prompt, max_new_tokens=tokens) if prompt is not None else 0.0
            described.append(Description(
                symbol=symbol, text=answer.text, seconds=drafting + time.perf_counter() - started,
                model=answer.provenance.model, provenance=answer.provenance.model_dump(mode="json"),
                error=answer.error))
        return described


class TemplateSystem(DescribeSystem):
    """The graph's facts strung together with no model and no prose: full name, locus type, place, direct GO
    terms and ClinVar / HPO conditions. The floor a grounded description has to clear."""

    MAX_TERMS, MAX_CONDITIONS = 15, 5

    def __init__(self, spec: SystemSpec, graph: Any):
        super().__init__(spec)
        self.graph = graph

    def describe_one(self, symbol: str) -> str:
        gene = self.graph.gene(symbol)
        terms = sorted({t.name for t in self.graph.go_terms(gene.gene_id, direct_only=True)})[: self.MAX_TERMS]
        conditions = [d.name for d in self.graph.diseases_of_gene(gene.gene_id) if d.name][: self.MAX_CONDITIONS]
        place = gene.cytoband or (f"chromosome {gene.chromosome}" if gene.chromosome else "unplaced")
        parts = [f"{gene.symbol} ({gene.name or gene.symbol}), {gene.locus_type or 'gene'}, {place}."]
        if terms:
            parts.append(f"GO terms: {'; '.join(terms)}.")
        if conditions:
            parts.append(f"Conditions: {'; '.join(conditions)}.")
        return " ".join(parts)

    def describe_batch(self, symbols: list[str]) -> list[Description]:
        described = []
        for symbol in symbols:
            started = time.perf_counter()
            text = self.describe_one(symbol)
            described.append(Description(symbol=symbol, text=text, seconds=time.perf_counter() - started,
                                         provenance={"tool": "template"}))
        return described


def build_system(spec: SystemSpec, graph: Any, index: Any, cache: Path | None = None) -> DescribeSystem:
    """The runnable system for `spec`; `graph` and `index` are those of the evaluation setting,
    `cache` the generation cache file of the run."""
    if spec.kind == "llm":
        return LLMSystem(spec, cache)
    if spec.kind == "rag":
        return RagDescribeSystem(spec, index, cache)
    if spec.kind == "template":
        return TemplateSystem(spec, graph)
    return AgentDescribeSystem(spec, graph, cache)
