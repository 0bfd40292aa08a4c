"""GO enrichment of a gene list: hypergeometric test against the annotated background, Benjamini-Hochberg."""

from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from scipy.stats import hypergeom

from kg.errors import GeneverseError

Aspect = Literal["BP", "MF", "CC"]


class EnrichedTerm(BaseModel):
    go_id: str
    name: str
    aspect: Aspect
    overlap: int = Field(description="query genes annotated with the term")
    term_size: int = Field(description="background genes annotated with the term")
    query_size: int = Field(description="query genes with any annotation in this aspect")
    background_size: int = Field(description="genes with any annotation in this aspect")
    genes: list[str]
    fold_enrichment: float
    p_value: float
    p_adjusted: float = Field(description="Benjamini-Hochberg adjusted p-value over all tested terms")


class EmptyGeneList(GeneverseError):
    def __init__(self, aspect: str):
        super().__init__(f"None of the given genes has a GO {aspect} annotation in the graph; nothing to test.")


class _Annotations:
    """One aspect's annotations both ways (term -> genes, gene -> terms) and the background."""

    def __init__(self, by_term: dict[str, set[str]]):
        self.by_term = {go_id: frozenset(genes) for go_id, genes in by_term.items()}
        self.by_gene: dict[str, list[str]] = {}
        for go_id, genes in self.by_term.items():
            for symbol in genes:
                self.by_gene.setdefault(symbol, []).append(go_id)
        self.background = frozenset(self.by_gene)


@lru_cache(maxsize=8)
def _annotations(graph, aspect: str, direct_only: bool) -> _Annotations:
    """Cached per graph: loading an aspect's annotations is the slow part of a test."""
    return _Annotations(graph.go_annotations(aspect, direct_only))


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Step-up adjusted p-values (monotone, capped at 1), in the input order."""
    n = len(p_values)
    if n == 0:
        return p_values
    order = np.argsort(p_values)
    scaled = p_values[order] * n / np.arange(1, n + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    result = np.empty(n)
    result[order] = np.minimum(adjusted, 1.0)
    return result


def resolve_symbols(genes: list[str], graph) -> list[str]:
    """Official symbols of the given names or ids, in order, without repeats (raises for unknown names)."""
    symbols: list[str] = []
    for name in genes:
        symbol = graph.gene(name.strip()).symbol
        if symbol not in symbols:
            symbols.append(symbol)
    return symbols


def go_enrichment(
    genes: list[str],
    graph,
    aspect: Aspect = "BP",
    top: int = 10,
    direct_only: bool = False,
    min_term_size: int = 2,
) -> list[EnrichedTerm]:
    """Terms over-represented in `genes`, best first. The background is every gene annotated in `aspect`;
    annotations include terms inherited through is_a unless `direct_only`."""
    symbols = resolve_symbols(genes, graph)  # unknown names fail before the annotations load
    annotations = _annotations(graph, aspect, direct_only)
    background = annotations.background
    query = [s for s in symbols if s in background]
    if not query:
        raise EmptyGeneList(aspect)
    query_set = set(query)
    # only terms that annotate a query gene can be enriched; the rest have overlap 0 and are not tested
    candidates = sorted({go_id for symbol in query_set for go_id in annotations.by_gene[symbol]})
    tested = []
    for go_id in candidates:
        members = annotations.by_term[go_id]
        if len(members) >= min_term_size:
            tested.append((go_id, members, sorted(query_set & members)))
    if not tested:
        return []
    total, drawn = len(background), len(query_set)
    overlaps = np.array([len(h) for _, _, h in tested])
    sizes = np.array([len(m) for _, m, _ in tested])
    # P(X >= overlap) for X ~ Hypergeom(total, term size, drawn)
    p_values = hypergeom.sf(overlaps - 1, total, sizes, drawn)
    adjusted = benjamini_hochberg(p_values)
    names = graph.go_term_names()
    ranked = sorted(range(len(tested)), key=lambda i: (p_values[i], -overlaps[i], tested[i][0]))[:top]
    return [
        EnrichedTerm(
            go_id=tested[i][0],
            name=names.get(tested[i][0], tested[i][0]),
            aspect=aspect,
            overlap=int(overlaps[i]),
            term_size=int(sizes[i]),
            query_size=drawn,
            background_size=total,
            genes=tested[i][2],
            fold_enrichment=float(overlaps[i] / drawn / (sizes[i] / total)),
            p_value=float(p_values[i]),
            p_adjusted=float(adjusted[i]),
        )
        for i in ranked
    ]
