"""Geneverse as a Model Context Protocol server (`geneverse mcp`), on the official `mcp` SDK's low-level
server so that each tool publishes exactly its registry argument model's JSON schema.

Tools: every entry of `tools/registry.py` under its route name (arguments, description and result are the
registry's: a ToolOutcome), and three more that answer as the command line does: `ask` (the whole agent, an
AgentAnswer as `geneverse ask --json` prints it), `query` (read-only Cypher from a question, as `geneverse
query --json`, rows capped as in the HTTP API) and `correct` (as `geneverse correct --json`). Resources: the
graph's schema and the Enformer track catalogue. Every tool only reads; an error a user can cause (unknown
gene, bad arguments, a write attempt) is a tool error (isError) holding one message."""

import csv
import io
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import anyio
import typer
from mcp import types
from mcp.server import Server
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel, Field, ValidationError

from agent.answer import AgentAnswer
from agent.graph import GeneverseAgent
from agent.questions import MAX_QUESTION_CHARS, BadInput, check_question
from agent.server import QueryResponse, bind_socket, cap_rows, served_url
from kg.errors import GeneverseError
from kg.output import emit, err_console
from tools.correction import CorrectionResult, correct_text
from tools.registry import (
    TOOLS,
    ToolContext,
    ToolOutcome,
    grounded_describer,
    invalid_arguments,
    model_content,
)

__all__ = ["SCHEMA_URI", "TRACKS_URI", "create_server", "mcp"]

log = logging.getLogger(__name__)

SCHEMA_URI = "geneverse://graph/schema"
TRACKS_URI = "geneverse://enformer/tracks"
DEFAULT_PORT = 8765


# --- the tools beyond the registry's (their docstrings are their descriptions) ----------------------------

class Ask(BaseModel):
    """Ask the Geneverse agent a question about human genes in plain language ('What is the official symbol
    of HER2?', 'Which biosamples have POLR2A ChIP-seq?', 'Describe GLI1'): it links the genes, diseases,
    biosamples and assays the question names to the gene graph, routes it to a tool, checks the reply against
    the graph and answers with a short answer, the full text, the route and provenance (tool, graph records,
    corrections)."""
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="the question")


class Query(BaseModel):
    """Run a read-only query over the gene graph from a question in plain language, or from read-only
    Cypher: returns the Cypher that ran, its rows (at most 1,000 rows or about 1 MB) and a summary. Requests to
    change the graph are refused."""
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS,
                          description="an omics question, e.g. 'Which biosamples have POLR2A ChIP-seq?'")


class Correct(BaseModel):
    """Post-correct text about one gene against the graph: identifiers, symbol, full name, chromosome,
    cytoband, locus type and alias lists. Returns the corrected text and every correction with its source."""
    gene: str = Field(description="the gene the text is about (symbol, alias or id)")
    text: str = Field(min_length=1, description="the text to check")


@dataclass(frozen=True)
class _Entry:
    name: str
    args: type[BaseModel]
    result: type[BaseModel]
    run: Callable[[Any], BaseModel]
    description: str

    def tool(self) -> types.Tool:
        return types.Tool(
            name=self.name, description=self.description, input_schema=self.args.model_json_schema(),
            output_schema=self.result.model_json_schema(),
            annotations=types.ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                              open_world_hint=False))


def _describe(model: type[BaseModel]) -> str:
    return " ".join((model.__doc__ or "").split())


def _entries(agent: GeneverseAgent) -> dict[str, _Entry]:
    graph = agent.graph
    generator = agent.generator() if agent.use_llm else None  # the agent's model writes Cypher and drafts too
    ctx = ToolContext(graph=graph, llm=generator, describe=grounded_describer(graph, generator),
                      plan_of=agent.plan_of)

    def ask(args: Ask) -> AgentAnswer:
        answer = agent.ask(check_question(args.question))
        if answer.error:
            raise BadInput(answer.error)
        return answer

    def query(args: Query) -> QueryResponse:
        return cap_rows(agent.query(check_question(args.question)))

    def correct(args: Correct) -> CorrectionResult:
        if not args.text.strip():
            raise BadInput("No text to correct.")
        return correct_text(args.text, args.gene, graph)

    entries = [_Entry(t.route, t.args, ToolOutcome, lambda a, t=t: t.run(a, ctx), t.description) for t in TOOLS]
    entries += [_Entry("ask", Ask, AgentAnswer, ask, _describe(Ask)),
                _Entry("query", Query, QueryResponse, query, _describe(Query)),
                _Entry("correct", Correct, CorrectionResult, correct, _describe(Correct))]
    named = {entry.name: entry for entry in entries}
    assert len(named) == len(entries), "a tool name is used twice"
    return named


# --- resources ---------------------------------------------------------------------------------------------

def _tracks_csv(graph) -> str:
    out = io.StringIO()
    columns = ["index", "identifier", "assay", "target", "biosample", "description", "experiment"]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for track in graph.tracks():
        writer.writerow(track.model_dump(include=set(columns)))
    return out.getvalue()


_RESOURCES: dict[str, tuple[types.Resource, Callable[[Any], str]]] = {
    SCHEMA_URI: (types.Resource(uri=SCHEMA_URI, name="graph-schema", title="Gene graph schema", mime_type="text/plain",
                                description="Node labels, properties and relationship patterns of the gene "
                                            "graph, as the read-only Cypher of the query tool sees them."),
                 lambda graph: graph.schema_text()),
    TRACKS_URI: (types.Resource(uri=TRACKS_URI, name="enformer-tracks", title="Enformer track catalogue",
                                mime_type="text/csv",
                                description="The 5,313 Enformer human output tracks: index, identifier, assay "
                                            "(DNASE, ATAC, CHIP, CAGE), target, biosample, description and "
                                            "ENCODE experiment."),
                 _tracks_csv),
}


# --- the server --------------------------------------------------------------------------------------------

def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def _package_version() -> str:
    try:
        return version("geneverse")
    except PackageNotFoundError:
        return "unknown"


def create_server(agent: GeneverseAgent) -> Server:
    """The MCP server over a loaded agent (its graph, and its language model when one is in the loop). Tool
    calls and resource reads run one at a time in a worker thread, off the server's event loop."""
    entries = _entries(agent)
    one_at_a_time = threading.Lock()

    def locked(work: Callable[..., Any], *args: Any) -> Any:
        with one_at_a_time:
            return work(*args)

    async def list_tools(ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[entry.tool() for entry in entries.values()])

    async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        entry = entries.get(params.name)
        if entry is None:
            return _error(f"Unknown tool '{params.name}'. Tools: {', '.join(entries)}.")
        try:
            args = entry.args.model_validate(params.arguments or {})
            result = await anyio.to_thread.run_sync(locked, entry.run, args)
        except ValidationError as err:
            return _error(f"{params.name}: {invalid_arguments(err)}")
        except GeneverseError as err:
            return _error(str(err))
        except Exception as err:  # a fault of ours is still one message, and logged in full
            log.exception("tool %s failed", params.name)
            return _error(f"{params.name} failed: {type(err).__name__}: {err}")
        # a registry tool's rows are capped as a chat model reads them, the way its LangChain tool does
        data = model_content(result) if isinstance(result, ToolOutcome) else result.model_dump(mode="json")
        return types.CallToolResult(content=[types.TextContent(text=json.dumps(data, ensure_ascii=False))],
                                    structured_content=data)

    async def list_resources(ctx, params) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[resource for resource, _ in _RESOURCES.values()])

    async def read_resource(ctx, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        if uri not in _RESOURCES:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown resource '{uri}'. Resources: "
                                                              f"{', '.join(_RESOURCES)}.")
        resource, read = _RESOURCES[uri]
        text = await anyio.to_thread.run_sync(locked, read, agent.graph)
        return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, text=text,
                                                                             mime_type=resource.mime_type)])

    return Server(
        "geneverse", version=_package_version(), title="Geneverse",
        instructions=("Tools answer questions about human genes from a gene knowledge graph (NCBI, HGNC, "
                      "Ensembl, GENCODE, GO, ENCODE, ClinVar, HPO). 'ask' takes any question in plain language; "
                      "the other tools are the agent's own, one fact or query each. Everything is read-only."),
        on_list_tools=list_tools, on_call_tool=call_tool, on_list_resources=list_resources,
        on_read_resource=read_resource)


def _load_agent(use_llm: bool) -> GeneverseAgent:
    return GeneverseAgent.from_env(use_llm=use_llm)


@contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Anything written to standard output meanwhile (by Python or a library's C code) goes to stderr: over
    stdio, standard output is the protocol's."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


async def _serve_stdio(agent: GeneverseAgent) -> None:
    from mcp.server.stdio import stdio_server

    server = create_server(agent)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def _serve_http(host: str, port: int, use_llm: bool, json_output: bool) -> None:
    import uvicorn

    sock = bind_socket(host, port)
    agent = _load_agent(use_llm)
    server = create_server(agent)
    app = server.streamable_http_app(host=host)
    url = served_url(sock, host, "the MCP endpoint") + "/mcp"
    emit({"url": url, "transport": "streamable-http", "graph_backend": agent.graph.backend_name,
          "language_model": use_llm}, json_output, render=lambda info: err_console.print(f"Geneverse MCP server on [bold]{info['url']}[/bold]"))
    config = uvicorn.Config(app, log_level="warning" if json_output else "info", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def mcp(
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="Address to listen on with --http; the loopback default keeps the "
                                           "server private to this machine.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on with --http (0: any free port).", min=0,
                                      max=65535)] = DEFAULT_PORT,
    use_llm: Annotated[bool, typer.Option("--llm/--no-llm", help="Put the language model in the loop "
                                                                 "(configured by GENEVERSE_LLM_* variables).")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="With --http, print the server address as JSON "
                                                             "(over stdio the protocol itself is JSON).")] = False,
) -> None:
    """Run Geneverse as an MCP server: the agent's tools, 'ask', 'query' and 'correct', and the graph schema
    and Enformer track catalogue as resources; over stdio by default."""
    if http:
        _serve_http(host, port, use_llm, json_output)
    else:
        with _stdout_to_stderr():  # a graph that is not built is one message, before the protocol starts
            agent = _load_agent(use_llm)
        anyio.run(_serve_stdio, agent)
