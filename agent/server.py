"""`geneverse serve`: the HTTP API (FastAPI) and the web page over the Geneverse agent.

Every answer is computed in a worker thread under a time limit (504 past it): heavy work (/ask,
/query) on a small bounded pool (503 when its queue is full), look-ups (/genes) on their own pool,
so a slow question never stalls a look-up. Request bodies are capped (413 past the cap), a request
whose headers and body do not arrive within a few seconds is answered 408 and closed, /query
results are capped in rows and bytes, the server binds the loopback address unless told otherwise,
and every error a client can cause comes back as `{"error": message}`, never a traceback.
"""

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, field_validator
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from agent.answer import AgentAnswer
from agent.graph import GeneverseAgent
from agent.questions import MAX_QUESTION_CHARS, BadInput, check_question
from agent.toolset import PREFIX, Query, QueryPage, catalogue, public_tools
from kg.errors import (
    AmbiguousName,
    BackendUnavailable,
    GeneNotFound,
    GeneverseError,
    GraphNotBuilt,
    OfflineError,
    ReadOnlyViolation,
)
from kg.graph import GeneGraph, open_graph
from kg.models import Candidate, Gene
from kg.output import emit, err_console
from tools.budget import ResultBudget, fit
from tools.llm import LLMConfig
from tools.registry import VariantEffect
from tools.tracks.errors import ModelNotConfigured

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_TIMEOUT_S = 60.0
# Questions and a short history fit easily; anything larger is not a question.
DEFAULT_MAX_BODY_BYTES = 64 * 1024
MAX_HISTORY = 20
# A request's headers and body must arrive within this many seconds of its first byte.
DEFAULT_REQUEST_TIMEOUT_S = 5.0
MAX_HEADER_BYTES = 64 * 1024  # a request line and headers together
LINGER_S = 2.0  # how long a refused request's remaining bytes are read and dropped before closing
LOOKUP_WORKERS = 8
# Heavy requests waiting for a worker, per worker, before new ones are answered 503.
QUEUE_PER_WORKER = 4
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

T = TypeVar("T")


def _checked(question: str) -> str:
    """The one question check of every interface (NFKC, then empty and length): a bad question is a 422."""
    try:
        return check_question(question)
    except BadInput as err:
        raise ValueError(str(err)) from None


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=4 * MAX_QUESTION_CHARS,
                          examples=["What is the official gene symbol of HER2?"])
    history: list[AgentAnswer] = Field(
        [], max_length=MAX_HISTORY, description="earlier answers of this conversation, oldest first"
    )
    _check = field_validator("question")(_checked)


class QueryRequest(Query):  # the query tool's arguments, the question checked as every door checks it
    question: str = Field(min_length=1, max_length=4 * MAX_QUESTION_CHARS, examples=["Which genes lie in 17p13.1?"])
    _check = field_validator("question")(_checked)


class ErrorBody(BaseModel):
    error: str
    suggestions: list[str] = Field([], description="closest official symbols, for an unknown gene")
    candidates: list[Candidate] = Field([], description="the genes an ambiguous name points to")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    graph_backend: str
    graph: dict[str, int] = Field(description="node and relationship counts of the gene graph")
    language_model: bool = Field(description="whether a language model is in the loop")
    timeout_s: float
    max_body_bytes: int


# The status a client sees for each user-caused error; any other GeneverseError is a 400.
ERROR_STATUS: list[tuple[type[GeneverseError], int]] = [
    (GeneNotFound, 404),
    (AmbiguousName, 409),
    (ReadOnlyViolation, 403),
    (GraphNotBuilt, 503),
    (BackendUnavailable, 503),
    (OfflineError, 503),
    (ModelNotConfigured, 503),
]


def error_status(err: GeneverseError) -> int:
    return next((status for kind, status in ERROR_STATUS if isinstance(err, kind)), 400)


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(ErrorBody(error=message, **extra).model_dump(mode="json"), status_code=status)


class BodySizeLimit:
    """Answer 413 to any request body over `max_bytes`, declared or streamed, before the app reads it."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            await self.app(scope, receive, send)  # the HTTP server holds the body to its declared length
            return
        # Chunked body: read it up to the cap, then replay it to the app.
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            if not message.get("more_body"):
                break
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay_receive() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, replay_receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"Request body too large: the limit is {self.max_bytes} bytes.")
        await response(scope, receive, send)


def timed_protocol(request_timeout_s: float) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP protocol with a request timeout: a connection whose request (headers and body)
    has not fully arrived `request_timeout_s` after its first byte, or after connecting, is answered
    408 and closed, so incomplete requests cannot hold connections open."""

    class TimedHttpProtocol(HttpToolsProtocol):
        _reading: asyncio.TimerHandle | None = None
        _refused = False  # answered with an error: the rest of the request is read and dropped
        _in_body = False  # the current request's headers are complete
        _header_bytes = 0  # bytes read while the current request's headers were incomplete
        _field_bytes = 0  # the current request's URL and header fields

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._refused or self.transport.is_closing():  # refused already: the rest is not parsed
                return
            self._arm()  # the first byte of a request starts its clock
            super().data_received(data)
            if not self._in_body:  # still in the headers: counted as they arrive, never held past the limit
                self._header_bytes += len(data)
                if self._header_bytes > MAX_HEADER_BYTES:
                    self._refuse_headers()

        def on_url(self, url: bytes) -> None:
            self._field_bytes = len(url)
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            # headers that arrive whole in one read are measured here
            self._field_bytes += len(name) + len(value)
            if self._field_bytes > MAX_HEADER_BYTES:
                self._refuse_headers()
            if not (self._refused or self.transport.is_closing()):
                super().on_header(name, value)

        def _refuse_headers(self) -> None:
            if not self._refused:
                self._reply_and_close(b"431 Request Header Fields Too Large",
                                      f"The request's headers pass {MAX_HEADER_BYTES:,} bytes.")

        def on_headers_complete(self) -> None:
            self._in_body = True
            if not (self._refused or self.transport.is_closing()):
                super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            self._in_body, self._header_bytes = False, 0  # a kept-alive connection's next request counts afresh
            super().on_message_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._reading is None:
                self._reading = self.loop.call_later(request_timeout_s, self._timed_out)

        def _disarm(self) -> None:
            if self._reading is not None:
                self._reading.cancel()
                self._reading = None

        def _timed_out(self) -> None:
            self._reading = None
            if self._refused or self.transport.is_closing():
                return
            if self.cycle is None or not self.cycle.response_started:
                self._reply_and_close(b"408 Request Timeout",
                                      f"The request did not arrive within {request_timeout_s:g} s.")
            else:
                self.transport.close()

        def send_400_response(self, msg: str) -> None:
            # Malformed HTTP gets the API's JSON error body too, not the server's plain text.
            self._reply_and_close(b"400 Bad Request", msg)

        def _reply_and_close(self, status: bytes, message: str) -> None:
            body = json.dumps({"error": message}).encode()
            self.transport.write(b"HTTP/1.1 %s\r\ncontent-type: application/json\r\nconnection: close\r\n"
                                 b"content-length: %d\r\n\r\n%s" % (status, len(body), body))
            self._refused = True
            self._disarm()
            if not self.transport.can_write_eof():
                self.transport.close()
                return
            # Closing with the request's unread bytes would reset the connection and could destroy the reply
            # before the client reads it: send end-of-stream, drop what still arrives, close a moment later.
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)

    return TimedHttpProtocol


def server_config(app: FastAPI, request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S, **options: Any) -> uvicorn.Config:
    """uvicorn settings for the app: the request timeout, and idle keep-alive connections closed as fast."""
    return uvicorn.Config(app, http=timed_protocol(request_timeout_s),
                          timeout_keep_alive=max(1, round(request_timeout_s)), **options)


# The page loads nothing from elsewhere and talks only to this server.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _package_version() -> str:
    try:
        return version("geneverse")
    except PackageNotFoundError:
        return "unknown"


def create_app(
    agent: GeneverseAgent | None = None,
    graph: GeneGraph | None = None,
    *,
    llm: LLMConfig | None = None,
    use_llm: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    workers: int = 2,
    budget: ResultBudget | None = None,
) -> FastAPI:
    """Build the app. Graph and agent are loaded once here; pass them to share already loaded ones.

    `timeout_s` bounds each request's work; `max_body_bytes` caps request bodies; `workers` is the
    number of threads answering heavy requests (/ask, /query) at once (a timed-out answer keeps its
    thread until it finishes); look-ups have a pool of their own.
    """
    if graph is None:
        graph = agent.graph if agent is not None else open_graph()
    if agent is None:
        agent = GeneverseAgent.from_env(llm=llm, use_llm=use_llm, graph=graph)
    graph_counts = graph.stats()
    budget = budget or ResultBudget.from_env()
    heavy = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="geneverse-answer")
    lookups = ThreadPoolExecutor(max_workers=LOOKUP_WORKERS, thread_name_prefix="geneverse-lookup")
    # Heavy work admitted: running plus waiting; past the bound a request is answered 503 at once.
    admitted = threading.BoundedSemaphore(workers * (1 + QUEUE_PER_WORKER))
    page_html = (Path(__file__).parent / "static" / "index.html").read_text(encoding="utf-8")

    @asynccontextmanager
    async def stop_workers_on_shutdown(app: FastAPI) -> AsyncIterator[None]:
        yield
        for executor in (heavy, lookups):
            executor.shutdown(wait=False, cancel_futures=True)

    async def run_limited(work: partial[T]) -> T:
        """Run a blocking look-up in a worker thread; past the time limit the client gets a 504."""
        future = asyncio.get_running_loop().run_in_executor(lookups, work)
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise HTTPException(504, f"No answer within the time limit of {timeout_s:g} s.") from None

    async def run_heavy(work: partial[T]) -> T:
        """Heavy work on its bounded pool. Its slot is freed when the work ends, or when it is
        cancelled before it started (its client timed out while it waited)."""
        if not admitted.acquire(blocking=False):
            raise HTTPException(503, "The server is busy answering other questions; try again shortly.")
        future = heavy.submit(work)
        future.add_done_callback(lambda _: admitted.release())
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout_s)
        except TimeoutError:
            raise HTTPException(504, f"No answer within the time limit of {timeout_s:g} s.") from None

    tools = public_tools(agent)
    query_tool = next(tool for tool in tools if tool.name == PREFIX + "query")

    def answer_query(request: QueryRequest) -> dict[str, Any]:
        return query_tool.call(request.model_dump(), budget)[0]

    variant_tool = next(tool for tool in tools if tool.name == PREFIX + "variant")

    def score_variants(request: VariantEffect) -> dict[str, Any]:
        return variant_tool.call(request.model_dump(), budget)[0]

    app = FastAPI(
        title="Geneverse",
        summary="An open agent for genomic and proteomic questions, checked against a gene knowledge graph.",
        version=_package_version(),
        docs_url=None,
        redoc_url=None,
        lifespan=stop_workers_on_shutdown,
        responses={400: {"model": ErrorBody}, 408: {"model": ErrorBody}, 413: {"model": ErrorBody},
                   422: {"model": ErrorBody}, 503: {"model": ErrorBody}, 504: {"model": ErrorBody}},
    )
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.mount("/docs-assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
    app.state.agent, app.state.graph = agent, graph

    @app.exception_handler(GeneverseError)
    async def geneverse_error(request: Request, err: GeneverseError) -> JSONResponse:
        return error_response(
            error_status(err),
            str(err),
            suggestions=getattr(err, "suggestions", []),
            candidates=getattr(err, "candidates", []),
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> JSONResponse:
        return error_response(err.status_code, str(err.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc'] if part != 'body') or 'body'}: {problem['msg']}"
            for problem in err.errors()
        )
        return error_response(422, f"Invalid request: {problems}")

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, err: Exception) -> JSONResponse:
        # The server logs the traceback; the client gets one line.
        return error_response(500, f"Internal error ({type(err).__name__}); the server log has details.")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> HTMLResponse:
        return HTMLResponse(page_html, headers=PAGE_HEADERS)

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="Geneverse API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        return Health(
            version=app.version,
            graph_backend=graph.backend_name,
            graph=graph_counts,
            language_model=agent.use_llm,
            timeout_s=timeout_s,
            max_body_bytes=max_body_bytes,
        )

    @app.get("/tools", tags=["agent"])
    def tool_set() -> list[dict[str, Any]]:
        """The public tool set, as the MCP server and the LangChain tools offer it: name, description, argument
        schema and result schema of each."""
        return catalogue(tools)

    @app.post("/ask", response_model=AgentAnswer, tags=["agent"], responses={403: {"model": ErrorBody}})
    async def ask(request: AskRequest) -> AgentAnswer:
        """Answer a question; the reply carries its provenance, query rows and corrections. A request to change
        the graph is refused with 403, as /query refuses a write."""
        answer = await run_heavy(partial(agent.ask, request.question, history=request.history or None))
        if answer.refused:
            return error_response(403, answer.error)
        return fit(answer.model_dump(mode="json"), budget)

    @app.get(
        "/genes/{name:path}",
        response_model=Gene,
        tags=["graph"],
        responses={404: {"model": ErrorBody}, 409: {"model": ErrorBody}},
    )
    async def gene(name: str) -> Gene:
        """A gene by symbol, alias, previous symbol or HGNC / Ensembl / Entrez / UniProt / OMIM id."""
        return await run_limited(partial(graph.gene, name))

    @app.post("/query", response_model=QueryPage, tags=["graph"], responses={403: {"model": ErrorBody}})
    async def query(request: QueryRequest) -> QueryPage:
        """A natural-language omics question run as read-only Cypher: the query, a page of its rows within the
        result budget (`rows_total` and `truncated` say what was left out; page on with `offset`) and a
        summary."""
        return await run_heavy(partial(answer_query, request))

    @app.post("/variant", tags=["tracks"], responses={503: {"model": ErrorBody}})
    async def variant(request: VariantEffect) -> dict[str, Any]:
        """Score single-nucleotide variants with Enformer in all 5,313 tracks against background variants and
        explain them: the same JSON as the MCP tool geneverse_variant. Answered 503 with what to configure
        when the Enformer weights or the genome FASTA are missing."""
        return await run_heavy(partial(score_variants, request))

    return app


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before serving so that a taken port is one clear message."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise GeneverseError(f"Cannot listen on {host}:{port}: {err.strerror}. Choose another --host/--port.") from None
    return sock


def served_url(sock: socket.socket, host: str, what: str) -> str:
    """`http://host:port` of a bound socket; a warning when `what` is reachable from other machines."""
    bound_host, bound_port = sock.getsockname()[:2]
    if host not in LOOPBACK_HOSTS:
        err_console.print(f"[yellow]warning:[/yellow] listening on {host}, reachable from other machines; "
                          f"{what} has no authentication.")
    return f"http://{f'[{bound_host}]' if ':' in bound_host else bound_host}:{bound_port}"


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on. The loopback default keeps the server private to this machine.")
    ] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.", min=0, max=65535)] = DEFAULT_PORT,
    use_llm: Annotated[
        bool,
        typer.Option(
            "--llm/--no-llm",
            help="Put the language model in the loop (configured by GENEVERSE_LLM_* variables).",
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option(help="Seconds one request may take before it is answered 504.", min=0.1)
    ] = DEFAULT_TIMEOUT_S,
    max_body: Annotated[
        int, typer.Option(help="Largest request body in bytes; larger ones are answered 413.", min=1)
    ] = DEFAULT_MAX_BODY_BYTES,
    request_timeout: Annotated[
        float,
        typer.Option(help="Seconds a request's headers and body may take to arrive; slower ones get 408.", min=0.1),
    ] = DEFAULT_REQUEST_TIMEOUT_S,
    json_output: Annotated[bool, typer.Option("--json", help="Print the server address as JSON.")] = False,
) -> None:
    """Serve the HTTP API and the web page to chat with the agent."""
    sock = bind_socket(host, port)
    app = create_app(use_llm=use_llm, timeout_s=timeout, max_body_bytes=max_body)
    url = served_url(sock, host, "the API") + "/"
    emit(
        {"url": url, "docs": f"{url}docs", "openapi": f"{url}openapi.json", "graph_backend": app.state.graph.backend_name,
         "language_model": use_llm},
        json_output,
        render=lambda info: err_console.print(f"Geneverse on [bold]{info['url']}[/bold] (API docs: {info['docs']})"),
    )
    config = server_config(app, request_timeout, log_level="warning" if json_output else "info")
    uvicorn.Server(config).run(sockets=[sock])
