"""`geneverse kg`: build, inspect and query the gene graph."""

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg.build import build_graph, read_symbol_file
from kg.errors import GeneNotFound, GeneverseError
from kg.graph import open_graph
from kg.models import Gene
from kg.output import console, emit
from kg.paths import graph_dir, home

app = typer.Typer(help="The gene knowledge graph (NCBI, HGNC, Ensembl, GENCODE, GO, ENCODE, ClinVar, HPO).",
                  no_args_is_help=True)

JSON = typer.Option(False, "--json", help="Print JSON.")


class BuildInterrupted(GeneverseError):
    exit_code = 130  # as a shell reports an interrupted command
BUILD_STEPS = 9 + 13  # assembly steps + one load step per table
BACKENDS = ("ladybug", "neo4j")


def _known_backend(value: str) -> str:
    """A backend name is checked before anything is built, not after."""
    if value not in BACKENDS:
        raise typer.BadParameter(f"unknown backend '{value[:40]}': choose {' or '.join(BACKENDS)}")
    return value


@app.command()
def build(
    backend: str = typer.Option("ladybug", help="ladybug (embedded, default) or neo4j",
                                callback=lambda value: _known_backend(value)),
    uri: str | None = typer.Option(None, help="Neo4j bolt URI (default: NEO4J_URI)"),
    home: Path | None = typer.Option(None, help="Cache folder for the embedded graph (default: GENEVERSE_HOME)"),
    withhold_summaries: Path | None = typer.Option(
        None, help="File of gene symbols whose RefSeq summaries are left out (honest evaluation setting)"),
    data: Path | None = typer.Option(None, help="Folder of releases in the layout of data/ (default: data/)"),
    releases: Path | None = typer.Option(
        None, help="Folder of `kg download` releases that replace their vendored versions"),
    force: bool = typer.Option(False, "--force",
                               help="Replace the current graph even if the new one has far fewer genes"),
    as_json: bool = JSON,
):
    """Build the graph from data/ into a new location and swap it in when complete."""
    withheld = read_symbol_file(withhold_summaries) if withhold_summaries else set()
    for folder in (data, releases):
        if folder is not None and not folder.is_dir():
            raise GeneverseError(f"no folder at {folder}")
    try:
        with Progress(TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(),
                      console=console, disable=as_json) as progress:
            task = progress.add_task("building", total=BUILD_STEPS)

            def step(name: str) -> None:
                progress.update(task, description=name, advance=1)

            manifest = build_graph(home=home, backend=backend, uri=uri, withhold_summaries=withheld, data=data,
                                   releases=releases, step=step, force=force)
            progress.update(task, completed=BUILD_STEPS, description="done")
    except KeyboardInterrupt:
        link = graph_dir(home)
        kept = (f"the previous graph is kept at {link.resolve()}" if backend == "ladybug" and link.exists()
                else "no graph was replaced" if backend == "ladybug" else "the transaction was rolled back")
        raise BuildInterrupted(f"Build interrupted: {kept}.") from None
    emit(manifest, as_json, lambda m: console.print(
        f"Built the {backend} graph in {m['seconds']} s at {m['location']}: "
        + ", ".join(f"{v:,} {k}" for k, v in m["counts"].items())))


@app.command()
def gene(
    name: str = typer.Argument(..., help="symbol, alias, previous symbol, old GENCODE name, or HGNC/Entrez/Ensembl/UniProt/OMIM id"),
    online: bool = typer.Option(False, "--online", help="Ask MyGene.info when the local graph lacks the gene"),
    as_json: bool = JSON,
):
    """Look a gene up: official symbol, identifiers, location, aliases."""
    try:
        with open_graph() as graph:
            record = graph.gene(name)
    except GeneNotFound:
        if not online:
            raise
        from kg.online import fetch_mygene

        record = fetch_mygene(name)
    emit(record, as_json, _render_gene)


@app.command()
def resolve(name: str, as_json: bool = JSON):
    """Every gene a name may stand for, likeliest first, with the evidence for each."""
    with open_graph() as graph:
        resolution = graph.resolve(name)
        if not resolution.candidates:
            raise GeneNotFound(name, graph.closest_symbols(name))

    def render(r) -> None:
        verdict = " (ambiguous: the first is a guess)" if r.guess else " (ambiguous)" if r.ambiguous else ""
        table = Table("symbol", "gene id", "name", "score", "evidence", title=f"{r.query}{verdict}")
        for c in r.candidates:
            table.add_row(c.symbol, c.gene_id, c.name or "", f"{c.score:.2f}", "; ".join(c.why))
        console.print(table)

    emit(resolution, as_json, render)


@app.command()
def stats(as_json: bool = JSON):
    """Node and relationship counts of the current graph."""
    with open_graph() as graph:
        counts = {"backend": graph.backend_name, "built_at": graph.manifest.get("built_at"), "counts": graph.stats()}

    def render(s) -> None:
        table = Table("table", "count", title=f"{s['backend']} graph built {s['built_at']}")
        for k, v in s["counts"].items():
            table.add_row(k, f"{v:,}")
        console.print(table)

    emit(counts, as_json, render)


@app.command()
def download(
    dest: Path | None = typer.Option(None, help="Folder for the fresh releases (default: GENEVERSE_HOME/releases)"),
    sources: list[str] | None = typer.Option(None, "--source", help="Only these sources (repeatable)"),
    as_json: bool = JSON,
):
    """Fetch fresh releases from the official sources (needs a network)."""
    from kg.download import download_releases

    # Never overwrite the vendored snapshot that tests and the offline default rely on.
    manifest = download_releases(dest or home() / "releases", sources=sources or None, progress=not as_json)
    emit(manifest, as_json)


def _render_gene(g: Gene) -> None:
    table = Table(show_header=False, title=f"{g.symbol}: {g.name or ''}  [{g.source}]")
    rows = [
        ("HGNC", g.hgnc_id), ("Entrez", g.entrez_id), ("Ensembl", g.ensembl_id),
        ("UniProt", ", ".join(g.uniprot_ids)), ("OMIM", g.omim_id), ("RefSeq", ", ".join(g.refseq)),
        ("locus", f"{g.locus_group or ''} / {g.locus_type or ''}"), ("gene groups", "; ".join(g.gene_groups)),
        ("location", f"chr{g.chromosome} {g.cytoband or ''} {g.start or ''}-{g.end or ''} ({g.strand or '?'})"
         if g.chromosome else None),
        ("aliases", ", ".join(g.aliases)), ("previous symbols", ", ".join(g.previous_symbols)),
        ("NCBI synonyms", ", ".join(g.synonyms)), ("old GENCODE names", ", ".join(g.gencode_names)),
        ("summary", g.summary),
    ]
    for key, value in rows:
        if value:
            table.add_row(key, value)
    console.print(table)
