"""Geneverse as a Model Context Protocol server (`geneverse mcp`), on the official `mcp` SDK's low-level
server so that each tool publishes exactly its argument model's JSON schema.

Tools: the public tool set (`agent/toolset.py`, the same as the LangChain tools and HTTP `/tools`), each result
within the one result budget. Resources: the graph's schema, the Enformer track assays, and a template for the
tracks of one assay in one biosample. Every tool only reads; an error a user can cause (unknown gene, bad
arguments, a write attempt, a graph not built) is a tool error (isError) holding one message."""

import csv
import io
import json
import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any
from urllib.parse import unquote

import anyio
import typer
from mcp import types
from mcp.server import Server
from mcp.shared.exceptions import MCPError

from agent.graph import GeneverseAgent
from agent.server import bind_socket, served_url
from agent.toolset import PublicTool, public_tools
from kg.errors import GeneverseError, shorten
from kg.output import emit, err_console
from tools.budget import ResultBudget

__all__ = ["SCHEMA_URI", "TRACKS_URI", "create_server", "mcp"]

log = logging.getLogger(__name__)

SCHEMA_URI = "geneverse://graph/schema"
TRACKS_URI = "geneverse://enformer/tracks"
DEFAULT_PORT = 8765
DEFAULT_DEADLINE_S = 60.0  # a call that takes longer is answered with an error
LOOKUP_WORKERS, HEAVY_WORKERS = 8, 2


# --- resources ---------------------------------------------------------------------------------------------

TRACK_COLUMNS = ["index", "identifier", "assay", "target", "biosample", "description", "experiment"]


def _tracks_index(graph) -> str:
    """How many tracks each assay has, and how to read them: the whole catalogue (5,313 rows, 600 KB) is
    more than a model should read at once."""
    counts = Counter(track.assay for track in graph.tracks())
    lines = ["assay,tracks,read with"] + [f"{assay},{n},{TRACKS_URI}/{assay}/{{biosample}}"
                                           for assay, n in counts.most_common()]
    return "\n".join(lines) + "\n"


def _tracks_csv(graph, assay: str, biosample: str, budget: ResultBudget) -> str:
    """The tracks of one assay in one biosample, within the result budget."""
    tracks = graph.tracks(assay=unquote(assay), biosample=unquote(biosample))
    if not tracks:
        raise MCPError(code=types.INVALID_PARAMS, message=f"No Enformer track of assay {shorten(assay)!r} in "
                                                          f"biosample {shorten(biosample)!r}; {TRACKS_URI} lists the "
                                                          "assays.")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=TRACK_COLUMNS, lineterminator="\n")
    writer.writeheader()
    room = budget.chars - 80  # kept for the line that says how many were left out
    for shown, track in enumerate(tracks):
        kept = out.tell()
        writer.writerow(track.model_dump(include=set(TRACK_COLUMNS)))
        if out.tell() > room:
            out.seek(kept)
            out.truncate()
            out.write(f"# {len(tracks) - shown} more tracks left out to fit the result budget\n")
            break
    return out.getvalue()


_RESOURCES: dict[str, tuple[types.Resource, Callable[[Any], str]]] = {
    SCHEMA_URI: (types.Resource(uri=SCHEMA_URI, name="graph-schema", title="Gene graph schema", mime_type="text/plain",
                                description="Node labels, properties and relationship patterns of the gene "
                                            "graph, as the read-only Cypher of the query tool sees them."),
                 lambda graph: graph.schema_text()),
    TRACKS_URI: (types.Resource(uri=TRACKS_URI, name="enformer-tracks", title="Enformer track assays",
                                mime_type="text/csv",
                                description="The assays of the 5,313 Enformer human output tracks (DNASE, ATAC, "
                                            "CHIP, CAGE) with their track counts; read one assay's tracks in one "
                                            "biosample through the track template."),
                 _tracks_index),
}
TRACKS_TEMPLATE = types.ResourceTemplate(
    uri_template=TRACKS_URI + "/{assay}/{biosample}", name="enformer-tracks-of", title="Enformer tracks of an assay "
    "in a biosample", mime_type="text/csv",
    description="Enformer tracks of one assay (DNASE, ATAC, CHIP, CAGE) in one biosample (K562, HepG2, liver ...): "
                "index, identifier, assay, target, biosample, description and ENCODE experiment.")
_TRACKS_OF = re.compile(re.escape(TRACKS_URI) + r"/([^/]+)/([^/]+)")


# --- the server --------------------------------------------------------------------------------------------

def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def _listed(tool: PublicTool) -> types.Tool:
    return types.Tool(name=tool.name, description=tool.description, input_schema=tool.args.model_json_schema(),
                      output_schema=tool.output_schema(),
                      annotations=types.ToolAnnotations(read_only_hint=True, destructive_hint=False,
                                                        idempotent_hint=True, open_world_hint=False))


def _package_version() -> str:
    try:
        return version("geneverse")
    except PackageNotFoundError:
        return "unknown"


def create_server(agent: GeneverseAgent | None, unavailable: GeneverseError | None = None,
                  budget: ResultBudget | None = None, deadline_s: float = DEFAULT_DEADLINE_S) -> Server:
    """The MCP server over a loaded agent (its graph, and its language model when one is in the loop), or,
    when the graph could not be opened, one whose every tool answers with `unavailable`. Calls run in worker
    threads off the event loop: look-ups beside heavy work, heavy work a few at a time; a call past
    `deadline_s`, or cancelled by its client, is answered at once (its thread finishes on its own)."""
    tools = {tool.name: tool for tool in public_tools(agent, unavailable)}
    budget = budget or ResultBudget.from_env()
    lookups, heavy = anyio.CapacityLimiter(LOOKUP_WORKERS), anyio.CapacityLimiter(HEAVY_WORKERS)

    async def list_tools(ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[_listed(tool) for tool in tools.values()])

    async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = tools.get(params.name)
        if tool is None:
            return _error(f"Unknown tool '{shorten(params.name)}'. Tools: {', '.join(tools)}.")
        try:
            with anyio.fail_after(deadline_s):
                data, _ = await anyio.to_thread.run_sync(tool.call, params.arguments, budget, abandon_on_cancel=True,
                                                         limiter=lookups if tool.lookup else heavy)
        except TimeoutError:
            return _error(f"{tool.name}: no answer within the time limit of {deadline_s:g} s.")
        except GeneverseError as err:
            return _error(str(err))
        except Exception as err:  # a fault of ours is still one message, and logged in full
            log.exception("tool %s failed", params.name)
            return _error(f"{params.name} failed: {type(err).__name__}: {shorten(str(err))}")
        return types.CallToolResult(content=[types.TextContent(text=json.dumps(data, ensure_ascii=False))],
                                    structured_content=data)

    async def list_resources(ctx, params) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[resource for resource, _ in _RESOURCES.values()])

    async def list_resource_templates(ctx, params) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[TRACKS_TEMPLATE])

    async def read_resource(ctx, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        if agent is not None and (match := _TRACKS_OF.fullmatch(uri)):
            text = await anyio.to_thread.run_sync(_tracks_csv, agent.graph, *match.groups(), budget, limiter=heavy)
            return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, text=text,
                                                                                 mime_type="text/csv")])
        if uri not in _RESOURCES:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown resource '{uri}'. Resources: "
                                                              f"{', '.join(_RESOURCES)}.")
        if agent is None:
            raise MCPError(code=types.INTERNAL_ERROR, message=str(unavailable))
        resource, read = _RESOURCES[uri]
        text = await anyio.to_thread.run_sync(read, agent.graph, limiter=heavy)
        return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, text=text,
                                                                             mime_type=resource.mime_type)])

    return Server(
        "geneverse", version=_package_version(), title="Geneverse",
        instructions=("Tools answer questions about human genes from a gene knowledge graph (NCBI, HGNC, "
                      "Ensembl, GENCODE, GO, ENCODE, ClinVar, HPO). 'ask' takes any question in plain language; "
                      "the other tools are the agent's own, one fact or query each. Everything is read-only."),
        on_list_tools=list_tools, on_call_tool=call_tool, on_list_resources=list_resources,
        on_list_resource_templates=list_resource_templates, on_read_resource=read_resource)


def _load_agent(use_llm: bool) -> tuple[GeneverseAgent | None, GeneverseError | None]:
    """The agent, or why there is none (a graph not built or unreadable): the server still starts, so that a
    client reads the reason and the fix in every tool's answer rather than a closed connection."""
    try:
        return GeneverseAgent.from_env(use_llm=use_llm), None
    except GeneverseError as err:
        err_console.print(f"[red]error:[/red] {err}")
        return None, err


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


async def _serve_stdio(agent: GeneverseAgent | None, unavailable: GeneverseError | None, deadline_s: float) -> None:
    from mcp.server.stdio import stdio_server

    server = create_server(agent, unavailable, deadline_s=deadline_s)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def _serve_http(host: str, port: int, use_llm: bool, json_output: bool, deadline_s: float) -> None:
    import uvicorn

    sock = bind_socket(host, port)
    agent, unavailable = _load_agent(use_llm)
    server = create_server(agent, unavailable, deadline_s=deadline_s)
    app = server.streamable_http_app(host=host)
    url = served_url(sock, host, "the MCP endpoint") + "/mcp"
    emit({"url": url, "transport": "streamable-http", "graph_backend": agent.graph.backend_name if agent else None,
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
    timeout: Annotated[float, typer.Option(help="Seconds a tool call may take before it is answered with an error "
                                                "(scoring variants with Enformer on a CPU takes minutes).",
                                           min=0.1)] = DEFAULT_DEADLINE_S,
) -> None:
    """Run Geneverse as an MCP server: the agent's tools, 'ask', 'query' and 'correct', and the graph schema
    and Enformer track catalogue as resources; over stdio by default."""
    if http:
        _serve_http(host, port, use_llm, json_output, timeout)
    else:
        with _stdout_to_stderr():  # nothing but the protocol on standard output
            agent, unavailable = _load_agent(use_llm)
        anyio.run(_serve_stdio, agent, unavailable, timeout)
