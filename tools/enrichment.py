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


@lru_cache(maxsize=8)
def _annotations(graph, aspect: str, direct_only: bool) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """GO id -> annotated symbols, and the background (every annotated symbol); cached per graph."""
    by_term = {go_id: frozenset(genes) for go_id, genes in graph.go_annotations(aspect, direct_only).items()}
    background = frozenset().union(*by_term.values()) if by_term else frozenset()
    return by_term, background


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
    by_term, background = _annotations(graph, aspect, direct_only)
    query = [s for s in resolve_symbols(genes, graph) if s in background]
    if not query:
        raise EmptyGeneList(aspect)
    query_set = set(query)
    tested = []
    for go_id, members in by_term.items():
        if len(members) < min_term_size:
            continue
        hits = query_set & members
        if hits:
            tested.append((go_id, members, sorted(hits)))
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
