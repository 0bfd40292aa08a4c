"""The `geneverse` command. Command groups of the other packages are plugins, found through the
`geneverse.commands` entry points, so the dependency arrows between packages stay one-way."""

import itertools
import json
import os
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from typer.exceptions import TyperException

from agent.questions import MAX_CORRECT_CHARS, BadInput, check_question, check_text
from kg.errors import GeneverseError
from kg.output import console, emit, err_console
from tools.budget import ResultBudget, fit
from tools.query.builder import MAX_ROWS, Page

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


def _within(result, as_json: bool, budget: ResultBudget | None):
    """What a command prints: JSON within the result budget (none: every row), or the result to render."""
    return fit(result.model_dump(mode="json"), budget) if as_json and budget is not None else result


JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON (one object, or JSON lines for --batch).")]
FullOption = Annotated[bool, typer.Option("--full", help="With --json, every row the answer has, past the result "
                                                         "budget (GENEVERSE_RESULT_ROWS, GENEVERSE_RESULT_CHARS).")]
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


def _batch_questions(path: Path) -> list[tuple[int, str | BadInput]]:
    """(line number, question) per question line; a line may also be a JSON object with a 'question'
    field. A line that is not a question comes back as its error, so the good lines are still answered."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise BadInput(f"Cannot read questions from {path}: not UTF-8 text ({err.reason} at byte {err.start})"
                       ) from None
    except OSError as err:
        raise BadInput(f"Cannot read questions from {path}: {err.strerror or err}") from None
    questions: list[tuple[int, str | BadInput]] = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("{"):
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as err:
                    raise BadInput(f"not valid JSON ({err.msg})") from None
                line = value.get("question") if isinstance(value, dict) else None
                if not isinstance(line, str):
                    raise BadInput("a JSON line needs a 'question' field holding text")
            questions.append((number, check_question(line)))
        except BadInput as err:
            questions.append((number, BadInput(f"{path}:{number}: {err}")))
    if not questions:
        raise BadInput(f"No questions in {path}: every line is empty or a # comment.")
    return questions


@app.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="the question")] = None,
    batch: Annotated[Path | None, typer.Option("--batch", help="file with one question a line (or JSON lines)")] = None,
    as_json: JsonOption = False, full: FullOption = False, llm: LlmOption = False, backend: BackendOption = None,
    model_path: ModelPathOption = None, adapter: AdapterOption = None, base_url: BaseUrlOption = None,
    model: ModelOption = None,
) -> None:
    """Ask the agent a question; --batch answers a file of questions, loading graph and model once."""
    if (question is None) == (batch is None):
        raise BadInput("Give either a QUESTION or --batch FILE.")
    budget = None if full else ResultBudget.from_env()
    questions = _batch_questions(batch) if batch else [(0, check_question(question))]
    agent = _agent(llm, backend, model_path, adapter, base_url, model)
    last, bad_lines = None, 0
    for number, text in questions:
        if isinstance(text, BadInput):
            bad_lines += 1
            if as_json:
                emit({"error": str(text), "line": number}, True)
            else:
                err_console.print(f"[red]error:[/red] {escape(str(text))}", highlight=False)
            continue
        last = agent.ask(text)
        emit(_within(last, as_json, budget), as_json, _render_answer)
    if bad_lines:
        err_console.print(f"{bad_lines} of {len(questions)} lines of {batch} are not questions.", highlight=False)
        raise typer.Exit(1)
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
        try:
            line = check_question(line)
        except BadInput as err:
            err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False)
            continue
        answer = agent.ask(line, history=history)
        history.append(answer)
        emit(answer, as_json, _render_answer)


@app.command()
def query(
    question: Annotated[str, typer.Argument(help="an omics question, e.g. 'Which biosamples have POLR2A ChIP-seq?'")],
    offset: Annotated[int, typer.Option(help="rows to skip (to page on: the previous offset plus the rows shown)",
                                        min=0)] = 0,
    limit: Annotated[int, typer.Option(help=f"rows to return, at most {MAX_ROWS}", min=1,
                                       max=MAX_ROWS)] = ResultBudget.rows,
    as_json: JsonOption = False, llm: LlmOption = False, backend: BackendOption = None,
    model_path: ModelPathOption = None, adapter: AdapterOption = None, base_url: BaseUrlOption = None,
    model: ModelOption = None,
) -> None:
    """Natural language to read-only Cypher over the graph: prints the query, a page of its rows and a summary."""
    from agent.toolset import QueryPage

    question, page = check_question(question), Page(offset, limit)
    result = QueryPage.of(_agent(llm, backend, model_path, adapter, base_url, model).query(question, page), page)

    def render(r) -> None:
        from rich.table import Table

        console.print(f"[dim]{r.cypher}[/dim]")
        if r.rows:
            table = Table(*r.rows[0].keys())
            for row in r.rows[:50]:
                table.add_row(*(str(v) for v in row.values()))
            console.print(table)
        console.print(r.summary)

    emit(_within(result, as_json, ResultBudget.from_env()), as_json, render)


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
    text = check_text(text, MAX_CORRECT_CHARS, "The text on stdin")
    result = correct_text(text, gene, open_graph())

    def render(r) -> None:
        console.print(r.text, markup=False, highlight=False)
        for fix in r.corrections:
            why = f"; {fix.reason}" if fix.reason else ""
            err_console.print(f"[yellow]{fix.field}:[/yellow] {escape(repr(fix.before))} -> {escape(repr(fix.after))} "
                              f"({escape(fix.source + why)})")
        if not r.corrections:
            err_console.print(f"[dim]no corrections; checked: {', '.join(r.checked) or 'nothing checkable'}[/dim]")
        for claim in r.claims:
            if claim.status == "unchecked":  # said, so that nothing unchecked passes as verified
                err_console.print(f"[dim]unchecked {claim.field}: {escape(repr(claim.text))} "
                                  f"({escape(claim.note)})[/dim]")

    emit(_within(result, as_json, ResultBudget.from_env()), as_json, render)


_load_plugins(sys.argv[1:])


def _json_requested() -> bool:
    return "--json" in sys.argv


def main() -> None:
    """Console entry point: user errors become one message and a non-zero exit; with --json, also a
    JSON error object on stdout."""
    try:
        _main()
    except BrokenPipeError:
        # The reader went away (`| head`): not an error to report; keep the exit-time flush quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


def _main() -> None:
    try:
        code = app(standalone_mode=False)  # a typer.Exit inside a command comes back as its code here
        if isinstance(code, int) and code:
            sys.exit(code)
    except GeneverseError as err:
        if _json_requested():
            print(json.dumps({"error": str(err), "kind": type(err).__name__}))
        err_console.print(f"[red]error:[/red] {escape(str(err))}", highlight=False)
        sys.exit(err.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("aborted")
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except TyperException as err:
        # Usage mistakes (unknown command or option, missing or invalid value): the usage text, exit 2.
        if _json_requested():
            print(json.dumps({"error": err.format_message(), "kind": "UsageError"}))
        show = getattr(err, "show", None)
        if show is not None:
            show()
        else:
            err_console.print(f"[red]error:[/red] {escape(err.format_message())}", highlight=False)
        if hasattr(err, "ctx") and err.ctx is None:  # raised before a command took it: name its help
            command = " ".join(itertools.takewhile(lambda arg: not arg.startswith("-"), sys.argv[1:]))
            err_console.print(f"Try 'geneverse {command + ' ' if command else ''}--help' for the usage.",
                              highlight=False, markup=False)
        sys.exit(err.exit_code)
