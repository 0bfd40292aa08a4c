"""Chroma index of gene documents built from the graph.

One document per gene: official symbol and name, aliases, locus type and place, the RefSeq
summary and the gene's direct GO terms. Each document carries a content hash, so a re-build
embeds only genes whose document changed (and drops genes that left the graph). Genes named in
`withhold_summaries` are indexed without their summary: the honest evaluation setting, in which
a retrieval system cannot copy the reference it is graded against.

Storage is a Chroma `PersistentClient` folder (default `$GENEVERSE_HOME/index`), or a Chroma
server when CHROMA_HOST (and optionally CHROMA_PORT) is set.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kg.errors import BackendUnavailable, GeneverseError
from retrieval.embedder import SentenceEmbedder

COLLECTION = "genes"
GO_TERMS_PER_ASPECT = 12
_ASPECT_LABEL = {"BP": "Biological process", "MF": "Molecular function", "CC": "Cellular component"}
_WRITE_BATCH = 256


class GeneDocument(BaseModel):
    gene_id: str
    symbol: str
    text: str
    has_summary: bool

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]


class RetrievedDoc(BaseModel):
    symbol: str
    text: str
    score: float
    gene_id: str | None = None


class BuildReport(BaseModel):
    documents: int
    embedded: int
    unchanged: int
    removed: int
    withheld: int
    collection: str
    location: str


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def gene_documents(graph: Any, genes: Iterable[str] | None = None,
                   withhold_summaries: Iterable[str] = frozenset()) -> list[GeneDocument]:
    """The index documents for `genes` (symbols or ids; all graph genes when None)."""
    withheld = {s.upper() for s in withhold_summaries}
    if genes is None:
        records = graph.all_genes()
    else:
        ids = sorted({graph.gene(name).gene_id for name in genes})
        records = [g for chunk in _chunks(ids, 2000) for g in graph.genes(chunk)]

    term_names = graph.go_term_names()
    terms_of_symbol: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for aspect in ("BP", "MF", "CC"):
        for go_id, symbols in sorted(graph.go_annotations(aspect=aspect, direct_only=True).items()):
            for symbol in symbols:
                terms_of_symbol[symbol][aspect].append(term_names.get(go_id, go_id))

    documents = []
    for gene in records:
        keep_summary = bool(gene.summary) and gene.symbol.upper() not in withheld
        documents.append(GeneDocument(
            gene_id=gene.gene_id, symbol=gene.symbol,
            text=_document_text(gene, terms_of_symbol.get(gene.symbol, {}), keep_summary),
            has_summary=keep_summary,
        ))
    return documents


def _document_text(gene: Any, terms: dict[str, list[str]], keep_summary: bool) -> str:
    parts = [f"{gene.symbol}: {gene.name or 'no official name'}."]
    other_names = list(dict.fromkeys(gene.aliases + gene.previous_symbols + gene.synonyms))
    if other_names:
        parts.append("Also known as " + ", ".join(other_names[:15]) + ".")
    place = f" on chromosome {gene.chromosome}" if gene.chromosome else ""
    band = f" ({gene.cytoband})" if gene.cytoband else ""
    parts.append(f"{(gene.locus_type or 'gene').capitalize()}{place}{band}.")
    if keep_summary:
        parts.append(gene.summary.strip())
    for aspect, label in _ASPECT_LABEL.items():
        names = sorted(set(terms.get(aspect, [])))[:GO_TERMS_PER_ASPECT]
        if names:
            parts.append(f"{label}: " + "; ".join(names) + ".")
    return " ".join(parts)


def _client(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    host = os.environ.get("CHROMA_HOST")
    if host:
        port = int(os.environ.get("CHROMA_PORT", "8000"))
        try:
            client = chromadb.HttpClient(host=host, port=port, settings=settings)
            client.heartbeat()
        except Exception as err:  # connection refused, DNS, TLS: all mean the same to a user
            raise BackendUnavailable(f"Chroma server at {host}:{port} is unreachable: {err}") from err
        return client
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def default_index_path() -> Path:
    from kg.paths import home

    return home() / "index"


class GeneIndex:
    """A Chroma collection of gene documents with the embedder that made it."""

    def __init__(self, client: Any, collection_name: str, embedder: SentenceEmbedder, location: str):
        self.client, self.collection_name, self.embedder, self.location = (
            client, collection_name, embedder, location)
        self.collection = client.get_or_create_collection(
            collection_name, embedding_function=embedder, configuration={"hnsw": {"space": "cosine"}})

    @classmethod
    def open(cls, path: str | Path | None = None, embedder: SentenceEmbedder | None = None,
             collection: str = COLLECTION) -> GeneIndex:
        folder = Path(path) if path else default_index_path()
        client = _client(folder)
        location = (f"chroma://{os.environ['CHROMA_HOST']}:{os.environ.get('CHROMA_PORT', '8000')}"
                    if os.environ.get("CHROMA_HOST") else str(folder))
        return cls(client, collection, embedder or SentenceEmbedder(), location)

    def count(self) -> int:
        return self.collection.count()

    def _stored_hashes(self) -> dict[str, str]:
        hashes: dict[str, str] = {}
        total, page = self.collection.count(), 5000
        for offset in range(0, total, page):
            got = self.collection.get(include=["metadatas"], limit=page, offset=offset)
            for doc_id, meta in zip(got["ids"], got["metadatas"], strict=True):
                hashes[doc_id] = (meta or {}).get("content_hash", "")
        return hashes

    def build(self, graph: Any, genes: Iterable[str] | None = None,
              withhold_summaries: Iterable[str] = frozenset(), progress: bool = False) -> BuildReport:
        """Embed new or changed gene documents; a full build (genes=None) also drops stale ones.

        Writes go in batches that are each complete (document, embedding and hash together), so an
        interrupted build leaves a consistent index that the next build finishes.
        """
        withheld = set(withhold_summaries)
        documents = gene_documents(graph, genes, withheld)
        stored = self._stored_hashes()
        changed = [d for d in documents if stored.get(d.gene_id) != d.content_hash]
        stale = sorted(set(stored) - {d.gene_id for d in documents}) if genes is None else []
        # Long documents together: less padding per embedding batch.
        changed.sort(key=lambda d: len(d.text))
        with progress_bar(progress, "embedding gene documents", len(changed)) as advance:
            for batch in _chunks(changed, _WRITE_BATCH):
                texts = [d.text for d in batch]
                self.collection.upsert(
                    ids=[d.gene_id for d in batch], documents=texts,
                    embeddings=self.embedder.encode(texts),
                    metadatas=[{"symbol": d.symbol, "content_hash": d.content_hash,
                                "has_summary": d.has_summary} for d in batch],
                )
                advance(len(batch))
        for batch in _chunks(stale, 5000):
            self.collection.delete(ids=batch)
        return BuildReport(
            documents=len(documents), embedded=len(changed), unchanged=len(documents) - len(changed),
            removed=len(stale), withheld=sum(1 for d in documents if d.symbol.upper() in
                                             {s.upper() for s in withheld}),
            collection=self.collection_name, location=self.location,
        )

    def clone(self, path: str | Path | None = None, collection: str = COLLECTION) -> GeneIndex:
        """Copy every document with its stored embedding into another index (no re-embedding)."""
        target = GeneIndex.open(path, self.embedder, collection)
        if (path is None or Path(path) == Path(self.location)) and collection == self.collection_name:
            raise GeneverseError("An index cannot be cloned onto itself.")
        total, page = self.collection.count(), 2000
        for offset in range(0, total, page):
            got = self.collection.get(include=["documents", "metadatas", "embeddings"],
                                      limit=page, offset=offset)
            target.collection.upsert(ids=got["ids"], documents=got["documents"],
                                     metadatas=got["metadatas"], embeddings=got["embeddings"])
        return target

    def search(self, text: str, k: int = 5) -> list[RetrievedDoc]:
        """The k documents nearest to `text` by cosine similarity."""
        if self.collection.count() == 0:
            raise GeneverseError(f"The gene index at {self.location} is empty. Build it: geneverse rag index")
        found = self.collection.query(query_embeddings=self.embedder.encode([text]), n_results=k,
                                      include=["documents", "metadatas", "distances"])
        return [
            RetrievedDoc(symbol=meta["symbol"], text=doc, score=1.0 - dist, gene_id=doc_id)
            for doc_id, doc, meta, dist in zip(found["ids"][0], found["documents"][0],
                                               found["metadatas"][0], found["distances"][0], strict=True)
        ]

    def lookup(self, symbol: str) -> RetrievedDoc | None:
        """The document of the gene with this exact official symbol, if indexed."""
        got = self.collection.get(where={"symbol": symbol}, include=["documents", "metadatas"], limit=1)
        if not got["ids"]:
            return None
        return RetrievedDoc(symbol=got["metadatas"][0]["symbol"], text=got["documents"][0], score=1.0,
                            gene_id=got["ids"][0])


class progress_bar:
    """A rich progress bar when asked for, else a no-op; yields `advance(n)`."""

    def __init__(self, enabled: bool, label: str, total: int):
        self.enabled, self.label, self.total = enabled, label, total

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("[progress.description]{task.description}", BarColumn(),
                            MofNCompleteColumn(), TimeRemainingColumn(), transient=False)
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.stop()
        return False
