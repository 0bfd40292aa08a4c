"""The `geneverse` command. Command groups of the other packages are plugins, found through the
`geneverse.commands` entry points, so the dependency arrows between packages stay one-way."""

import json
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer

from kg.errors import GeneverseError
from kg.output import console, emit, err_console

app = typer.Typer(
    name="geneverse",
    help="An open agent for genomic and proteomic questions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _load_plugins(argv: list[str]) -> None:
    """Register the plugin command groups. Only the group a command line names is imported (its
    dependencies, torch among them, are slow to load); help and unknown commands load them all."""
    plugins = sorted(entry_points(group="geneverse.commands"), key=lambda e: e.name)
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    if named in {ep.name for ep in plugins}:
        plugins = [ep for ep in plugins if ep.name == named]
    elif named in {c.name or c.callback.__name__ for c in app.registered_commands}:
        return
    for ep in plugins:
        try:
            command = ep.load()
        except ImportError as err:  # one broken group must not take the whole CLI down
            err_console.print(f"[yellow]warning:[/yellow] command '{ep.name}' unavailable: {err}")
            continue
        if isinstance(command, typer.Typer):
            app.add_typer(command, name=ep.name)
        else:
            app.command(ep.name)(command)


class BadInput(GeneverseError):
    """A batch file or stdin text the command cannot read."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (one object, or JSON lines for --batch).")]
LlmOption = Annotated[bool, typer.Option("--llm/--no-llm", help="Put the language model in the loop.")]
BackendOption = Annotated[str | None, typer.Option("--backend", help="default | hf | openai (GENEVERSE_LLM_BACKEND)")]
ModelPathOption = Annotated[str | None, typer.Option("--model-path", help="local HF model folder (backend hf)")]
AdapterOption = Annotated[str | None, typer.Option("--adapter", help="PEFT adapter folder, or 'none'")]
BaseUrlOption = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint (backend openai)")]
ModelOption = Annotated[str | None, typer.Option("--model", help="model name at the endpoint")]


def _llm_config(backend, model_path, adapter, base_url, model):
    from tools.llm import LLMConfig

    config = LLMConfig.from_env(backend=backend, model_path=model_path, base_url=base_url, model=model)
    if adapter is not None:
        config = config.model_copy(update={"adapter": None if adapter.lower() == "none" else adapter})
    return config


def _agent(llm: bool, backend, model_path, adapter, base_url, model):
    from agent.graph import GeneverseAgent

    return GeneverseAgent.from_env(llm=_llm_config(backend, model_path, adapter, base_url, model), use_llm=llm)


def _render_answer(answer) -> None:
    from rich.table import Table

    style = "red" if answer.error else "bold green"
    if answer.answer is not None:
        console.print(f"[{style}]{answer.answer}[/{style}]")
    console.print(answer.text)
    if answer.rows:
        table = Table(*answer.rows[0].keys())
        for row in answer.rows[:25]:
            table.add_row(*(str(v) for v in row.values()))
        console.print(table)
    for fix in answer.provenance.corrections:
        console.print(f"[yellow]corrected {fix.field}:[/yellow] {fix.before!r} -> {fix.after!r} ({fix.source})")
    records = ", ".join(answer.provenance.records[:8])
    console.print(f"[dim]route {answer.route} · tool {answer.provenance.tool}"
                  f"{' · model ' + answer.provenance.model if answer.provenance.model else ''}"
                  f"{' · records ' + records if records else ''}[/dim]")
    if answer.provenance.cypher:
        console.print(f"[dim]{answer.provenance.cypher}[/dim]")


def _batch_questions(path: Path) -> list[str]:
    """One question a line; a line may also be a JSON object with a 'question' field."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"Cannot read questions from {path}: {err}") from err
    questions = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("{"):
            try:
                line = str(json.loads(line)["question"])
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise BadInput(f"{path}:{number}: not a JSON object with a 'question' field") from err
        questions.append(line)
    return questions


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="the question")] = None,
    batch: Annotated[Path | None, typer.Option("--batch", help="file with one question a line (or JSON lines)")] = None,
    as_json: JsonOption = False, llm: LlmOption = False, backend: BackendOption = None,
    model_path: ModelPathOption = None, adapter: AdapterOption = None, base_url: BaseUrlOption = None,
    model: ModelOption = None,
) -> None:
    """Ask the agent a question; --batch answers a file of questions, loading graph and model once."""
    if (question is None) == (batch is None):
        raise BadInput("Give either a QUESTION or --batch FILE.")
    questions = _batch_questions(batch) if batch else [question]
    agent = _agent(llm, backend, model_path, adapter, base_url, model)
    last = None
    for text in questions:
        last = agent.ask(text)
        emit(last, as_json, _render_answer)
    if batch is None and last is not None and last.error:
        raise typer.Exit(1)


@app.command()
def chat(
    as_json: JsonOption = False, llm: LlmOption = False, backend: BackendOption = None,
    model_path: ModelPathOption = None, adapter: AdapterOption = None, base_url: BaseUrlOption = None,
    model: ModelOption = None,
) -> None:
    """An interactive session that keeps context ('Where is it located?' refers to the last gene)."""
    agent = _agent(llm, backend, model_path, adapter, base_url, model)
    history = []
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            console.print("[bold]?[/bold] ", end="")
        line = sys.stdin.readline()
        if not line or line.strip().lower() in {"exit", "quit", ":q"}:
            break
        if not line.strip():
            continue
        answer = agent.ask(line, history=history)
        history.append(answer)
        emit(answer, as_json, _render_answer)


@app.command()
def query(
    question: Annotated[str, typer.Argument(help="an omics question, e.g. 'Which biosamples have POLR2A ChIP-seq?'")],
    as_json: JsonOption = False, llm: LlmOption = False, backend: BackendOption = None,
    model_path: ModelPathOption = None, adapter: AdapterOption = None, base_url: BaseUrlOption = None,
    model: ModelOption = None,
) -> None:
    """Natural language to read-only Cypher over the graph: prints the query, its rows and a summary."""
    from kg.graph import open_graph
    from tools.llm import load_llm
    from tools.omics_query import run_query

    graph = open_graph()
    generator = load_llm(_llm_config(backend, model_path, adapter, base_url, model)) if llm else None
    result = run_query(question, graph, llm=generator)

    def render(r) -> None:
        from rich.table import Table

        console.print(f"[dim]{r.cypher}[/dim]")
        if r.rows:
            table = Table(*r.rows[0].keys())
            for row in r.rows[:50]:
                table.add_row(*(str(v) for v in row.values()))
            console.print(table)
        console.print(r.summary)

    emit(result, as_json, render)


@app.command()
def correct(
    gene: Annotated[str, typer.Option("--gene", help="the gene the text is about (symbol, alias or id)")],
    as_json: JsonOption = False,
) -> None:
    """Post-correct text about a gene (read from stdin) against the graph."""
    from kg.graph import open_graph
    from tools.correction import correct_text

    try:
        text = sys.stdin.read()
    except UnicodeDecodeError as err:
        raise BadInput(f"stdin is not UTF-8 text: {err}") from err
    if not text.strip():
        raise BadInput("No text on stdin to correct.")
    result = correct_text(text, gene, open_graph())

    def render(r) -> None:
        console.print(r.text, markup=False, highlight=False)
        for fix in r.corrections:
            err_console.print(f"[yellow]{fix.field}:[/yellow] {fix.before!r} -> {fix.after!r} ({fix.source})")
        if not r.corrections:
            err_console.print(f"[dim]no corrections; checked: {', '.join(r.checked) or 'nothing checkable'}[/dim]")

    emit(result, as_json, render)


_load_plugins(sys.argv[1:])


def main() -> None:
    """Console entry point: user errors become one message and a non-zero exit."""
    try:
        code = app(standalone_mode=False)  # a typer.Exit inside a command comes back as its code here
        if isinstance(code, int) and code:
            sys.exit(code)
    except GeneverseError as err:
        if "--json" in sys.argv:  # JSON callers get a parseable error as well
            print(json.dumps({"error": str(err), "kind": type(err).__name__}))
        err_console.print(f"[red]error:[/red] {err}", highlight=False)
        sys.exit(err.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except Exception as err:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(err, click.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise
