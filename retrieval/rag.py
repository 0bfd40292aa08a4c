"""Retrieval-augmented gene descriptions: the RAG baseline of the paper's Table 1.

For a gene symbol: the gene's own document (exact symbol match) first, then its nearest
neighbours in the index up to k documents, pasted into the prompt above the question; the
language model writes the description. The model is any object with `generate_batch(prompts,
system=..., max_new_tokens=...)` and a `name` (a `tools.llm.TextGenerator`).
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from retrieval.index import GeneIndex, RetrievedDoc

# The paper's gene-description question; the language-model layer states the same prompt.
QUESTION = ("Please summarize the major function of gene: {symbol}. "
            "Use academic language in one paragraph and include pathway information.")
SYSTEM = ("You are an expert in human genomics. Answer from the reference documents; "
          "do not invent identifiers.")


class Generator(Protocol):
    name: str

    def generate_batch(self, prompts: list[str], *, system: str | None = None,
                       max_new_tokens: int | None = None) -> list[str]: ...


class RagAnswer(BaseModel):
    symbol: str
    text: str
    retrieved: list[RetrievedDoc]
    model: str
    prompt: str


class RagSystem:
    def __init__(self, index: GeneIndex, llm: Generator, k: int = 5, question: str = QUESTION,
                 max_context_chars: int = 1200):
        self.index, self.llm, self.k, self.question = index, llm, k, question
        self.max_context_chars = max_context_chars  # per document: keeps prompts within small models' reach

    def retrieve(self, symbol: str) -> list[RetrievedDoc]:
        own = self.index.lookup(symbol)
        query = own.text if own else self.question.format(symbol=symbol)
        found = [own] if own else []
        for doc in self.index.search(query, k=self.k + 1):
            if len(found) == self.k:
                break
            if all(doc.gene_id != seen.gene_id for seen in found):
                found.append(doc)
        return found

    def prompt(self, symbol: str, docs: list[RetrievedDoc]) -> str:
        context = "\n".join(f"[{i}] {doc.text[: self.max_context_chars]}" for i, doc in enumerate(docs, 1))
        return f"Reference documents:\n{context}\n\n{self.question.format(symbol=symbol)}"

    def answer_batch(self, symbols: list[str], max_new_tokens: int | None = None) -> list[RagAnswer]:
        retrieved = [self.retrieve(symbol) for symbol in symbols]
        prompts = [self.prompt(symbol, docs) for symbol, docs in zip(symbols, retrieved, strict=True)]
        texts = self.llm.generate_batch(prompts, system=SYSTEM, max_new_tokens=max_new_tokens)
        return [RagAnswer(symbol=s, text=t.strip(), retrieved=d, model=self.llm.name, prompt=p)
                for s, t, d, p in zip(symbols, texts, retrieved, prompts, strict=True)]

    def describe(self, symbol: str) -> str:
        return self.answer_batch([symbol])[0].text

