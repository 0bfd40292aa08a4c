"""`geneverse rag`: build and query the Chroma index of gene documents."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from kg.build import read_symbol_file
from kg.files import output_folder
from kg.output import console, emit
from retrieval.embedder import SentenceEmbedder
from retrieval.index import BuildReport, GeneIndex, RetrievedDoc

app = typer.Typer(help="Chroma index of gene documents (retrieval baseline).", no_args_is_help=True)

PathOption = typer.Option(None, "--path", help="index folder (default $GENEVERSE_HOME/index)")
EmbedderOption = typer.Option(None, "--embedder", help="sentence-transformers folder (default all-MiniLM-L6-v2)")


@app.command("index")
def index_command(
    path: str | None = PathOption,
    embedder: str | None = EmbedderOption,
    genes: Path | None = typer.Option(None, "--genes", help="index only these genes (one symbol per line)"),
    withhold_summaries: Path | None = typer.Option(
        None, "--withhold-summaries", help="index these genes without their RefSeq summary (one per line)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Build or update the index: only new or changed gene documents are embedded."""
    from kg.graph import open_graph

    folder = output_folder(path, "--path") if path is not None else None
    only = sorted(read_symbol_file(genes)) if genes else None
    withheld = read_symbol_file(withhold_summaries) if withhold_summaries else set()
    graph = open_graph()
    index = GeneIndex.open(folder, SentenceEmbedder(embedder))
    report = index.build(graph, genes=only, withhold_summaries=withheld, progress=not as_json)

    def render(r: BuildReport) -> None:
        console.print(f"{r.documents} gene documents at {r.location}: {r.embedded} embedded, "
                      f"{r.unchanged} unchanged, {r.removed} removed, {r.withheld} without summary (withheld)")

    emit(report, as_json, render)


@app.command("search")
def search_command(
    text: str = typer.Argument(..., help="free text, e.g. 'hedgehog signalling transcription factor'"),
    k: int = typer.Option(5, "-k", "--k", min=1, max=100),
    path: str | None = PathOption,
    embedder: str | None = EmbedderOption,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The k gene documents nearest to TEXT."""
    folder = output_folder(path, "--path") if path is not None else None
    docs = GeneIndex.open(folder, SentenceEmbedder(embedder)).search(text, k)

    def render(found: list[RetrievedDoc]) -> None:
        table = Table("symbol", "score", "document")
        for doc in found:
            table.add_row(doc.symbol, f"{doc.score:.3f}", doc.text[:160] + ("…" if len(doc.text) > 160 else ""))
        console.print(table)

    emit(docs, as_json, render)
