"""`geneverse mcp`: an MCP client session over the session's graph lists the tools and resources and calls
them; the answers are the command line's (`geneverse ask|query|correct --json`); writes and user mistakes
come back as tool errors. The stdio and streamable HTTP commands are started as a user starts them."""

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from agent.graph import GeneverseAgent
from agent.mcp_server import SCHEMA_URI, TRACKS_URI, create_server
from tools.registry import MAX_CONTENT_ROWS, TOOLS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agent"))
from cli_runner import run_cli  # the CLI tests' in-process runner

HER2 = "What is the official gene symbol of HER2?"


@pytest.fixture(scope="module")
def server(graph):
    return create_server(GeneverseAgent(graph))


@pytest.fixture(autouse=True)
def _graph_built(graph_home):
    """The CLI commands open the default graph, which is the session's (GENEVERSE_HOME)."""


def session(server, work):
    """Run `work(client)` in one MCP client session with the server, over the JSON-RPC message loop."""
    async def main():
        async with Client(server, mode="legacy") as client:
            return await work(client)
    return anyio.run(main)


def call(server, name: str, arguments: dict):
    return session(server, lambda client: client.call_tool(name, arguments))


def cli_json(monkeypatch, capsys, *args: str, stdin: str | None = None) -> tuple[int, dict]:
    code, out, _ = run_cli(monkeypatch, capsys, *args, "--json", stdin=stdin)
    return code, json.loads(out)


def test_tools_are_the_registry_with_its_schemas(server):
    async def work(client):
        return await client.list_tools(), await client.list_resources()

    listed, resources = session(server, work)
    tools = {tool.name: tool for tool in listed.tools}
    assert list(tools) == [t.route for t in TOOLS] + ["ask", "query", "correct"]
    for entry in TOOLS:
        tool = tools[entry.route]
        assert tool.input_schema == entry.args.model_json_schema() and tool.description == entry.description
        assert tool.annotations.read_only_hint and not tool.annotations.destructive_hint
    assert tools["identifier"].input_schema["properties"]["kind"]["enum"] == ["hgnc", "entrez", "ensembl", "uniprot",
                                                                              "omim"]
    assert tools["ask"].input_schema["required"] == ["question"] and "agent" in tools["ask"].description
    assert [str(r.uri) for r in resources.resources] == [SCHEMA_URI, TRACKS_URI]


def test_gene_tools_answer_as_the_cli(server, monkeypatch, capsys):
    result = call(server, "official_symbol", {"name": "HER2"})
    _, cli = cli_json(monkeypatch, capsys, "ask", HER2)
    outcome = result.structured_content
    assert not result.is_error and json.loads(result.content[0].text) == outcome
    assert outcome["answer"] == cli["answer"] == "ERBB2" and outcome["records"] == cli["provenance"]["records"]
    assert outcome["text"] == cli["text"] and outcome["tool"] == cli["provenance"]["tool"]
    assert call(server, "chromosome", {"gene": "TP53"}).structured_content["answer"] == "chr17"
    assert call(server, "identifier", {"gene": "TP53", "kind": "hgnc"}).structured_content["answer"] == "HGNC:11998"


@pytest.mark.parametrize("question", [HER2, "Which biosamples have POLR2A ChIP-seq?", "Where is TP53 located?"])
def test_ask_is_the_cli_answer(server, monkeypatch, capsys, question):
    result = call(server, "ask", {"question": question})
    code, cli = cli_json(monkeypatch, capsys, "ask", question)
    assert code == 0 and not result.is_error and result.structured_content == cli and cli["answer"]


def test_ask_that_cannot_be_answered_is_a_tool_error(server, monkeypatch, capsys):
    question = "What is the official symbol of FOOBAR123?"
    result = call(server, "ask", {"question": question})
    code, cli = cli_json(monkeypatch, capsys, "ask", question)
    assert code == 1 and result.is_error and result.structured_content is None
    assert [c.text for c in result.content] == [cli["error"]] and "No gene named 'FOOBAR123'" in cli["error"]


def test_query_is_the_cli_query(server, monkeypatch, capsys):
    question = "How many Enformer tracks measure H3K27ac?"
    result = call(server, "query", {"question": question})
    code, cli = cli_json(monkeypatch, capsys, "query", question)
    reply = result.structured_content
    assert code == 0 and not result.is_error and reply["rows"][0]["tracks"] > 0
    assert {k: v for k, v in reply.items() if k not in {"truncated", "total_rows"}} == cli
    assert reply["truncated"] is False and reply["total_rows"] == 1


def test_correct_is_the_cli_correction(server, monkeypatch, capsys):
    text = "ERBB2 lies on chromosome 5 and its HGNC id is HGNC:9999."
    result = call(server, "correct", {"gene": "HER2", "text": text})
    code, cli = cli_json(monkeypatch, capsys, "correct", "--gene", "HER2", stdin=text)
    assert code == 0 and not result.is_error and result.structured_content == cli
    assert cli["text"] == "ERBB2 lies on chromosome 17 and its HGNC id is HGNC:3430."


WRITES = [("query", {"question": "MATCH (n) DETACH DELETE n"}),
          ("query", {"question": "CREATE (g:Gene {gene_id: 'X1', symbol: 'FAKE1'})"}),
          ("query", {"question": "MERGE (b:Biosample {name: 'nowhere'}) RETURN b.name AS name"}),
          ("query", {"question": "MATCH (g:Gene) WHERE g.symbol = 'TP53' SET g.name = 'x' RETURN g.name AS n"}),
          ("omics_query", {"question": "MATCH (t:Track) DELETE t"}),
          ("ask", {"question": "Delete all tracks for K562"})]


def test_write_attempts_are_tool_errors_and_change_nothing(server, graph):
    before = graph.stats()

    async def work(client):
        return [await client.call_tool(name, arguments) for name, arguments in WRITES]

    results = session(server, work)
    for (name, arguments), result in zip(WRITES, results, strict=True):
        assert result.is_error and len(result.content) == 1, (name, arguments)
        assert "read-only" in result.content[0].text and "Traceback" not in result.content[0].text
    assert graph.stats() == before
    assert graph.resolve("FAKE1").best is None


def test_user_mistakes_are_one_message_each(server):
    async def work(client):
        return {
            "bad kind": await client.call_tool("identifier", {"gene": "TP53", "kind": "refseq"}),
            "missing": await client.call_tool("official_symbol", {}),
            "unknown gene": await client.call_tool("gene_overview", {"gene": "FOOBAR123"}),
            "unknown tool": await client.call_tool("drop_graph", {}),
            "blank question": await client.call_tool("ask", {"question": "   "}),
            "long question": await client.call_tool("query", {"question": "x" * 2001}),
        }

    results = session(server, work)
    assert all(r.is_error and len(r.content) == 1 for r in results.values())
    text = {name: r.content[0].text for name, r in results.items()}
    assert text["bad kind"].startswith("identifier: Invalid arguments: kind: Input should be 'hgnc'")
    assert text["missing"] == "official_symbol: Invalid arguments: name: Field required"
    assert text["unknown gene"].startswith("No gene named 'FOOBAR123' in the graph.")
    assert text["unknown tool"].startswith("Unknown tool 'drop_graph'. Tools: official_symbol, identifier")
    assert text["blank question"] == "The question is empty."
    assert "question: String should have at most 2000 characters" in text["long question"]


def test_resources_are_the_schema_and_the_track_catalogue(server, graph):
    async def work(client):
        return await client.read_resource(SCHEMA_URI), await client.read_resource(TRACKS_URI)

    schema, tracks = session(server, work)
    assert schema.contents[0].text == graph.schema_text() and "(:Gene {" in schema.contents[0].text
    rows = list(csv.DictReader(io.StringIO(tracks.contents[0].text)))
    assert tracks.contents[0].mime_type == "text/csv" and len(rows) == 5313
    assert [int(r["index"]) for r in rows] == list(range(5313))
    h3k27ac = sum(r["assay"] == "CHIP" and r["target"].lower() == "h3k27ac" for r in rows)
    counted = call(server, "query", {"question": "How many Enformer tracks measure H3K27ac?"})
    assert h3k27ac == counted.structured_content["rows"][0]["tracks"]


def _environment(graph_home) -> dict[str, str]:
    return {**os.environ, "GENEVERSE_HOME": str(graph_home), "HF_HUB_OFFLINE": "1"}


def test_stdio_command_answers(graph_home):
    params = StdioServerParameters(command="geneverse", args=["mcp"], env=_environment(graph_home))

    async def main():
        with anyio.fail_after(120):
            async with Client(params) as client:
                return await client.call_tool("official_symbol", {"name": "HER2"})

    result = anyio.run(main)
    assert not result.is_error and result.structured_content["answer"] == "ERBB2"


def test_http_command_answers(graph_home):
    process = subprocess.Popen(["geneverse", "mcp", "--http", "--port", "0", "--json"], stdout=subprocess.PIPE,
                               text=True, env=_environment(graph_home))
    try:
        info = json.loads(process.stdout.readline())
        assert info["url"].startswith("http://127.0.0.1:") and info["url"].endswith("/mcp")

        async def main():
            async with Client(info["url"]) as client:
                return await client.call_tool("ask", {"question": HER2})

        result = anyio.run(main)
        assert not result.is_error and result.structured_content["answer"] == "ERBB2"
        assert result.structured_content["route"] == "official_symbol"
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.parametrize("transport", [[], ["--http", "--port", "0"]])
def test_command_without_a_graph_is_one_message(tmp_path, transport):
    done = subprocess.run(["geneverse", "mcp", *transport], check=False, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GENEVERSE_HOME": str(tmp_path)})
    message = " ".join(done.stderr.split())
    assert done.returncode == 1 and done.stdout == "" and "Traceback" not in done.stderr
    assert message.startswith("error: No gene graph at") and message.endswith("Build it first: geneverse kg build")


def test_registry_tool_rows_are_capped_for_the_model(server):
    result = call(server, "omics_query", {"question": "Which genes are on chromosome 21?"})
    data = json.loads(result.content[0].text)
    assert not result.is_error and len(data["rows"]) == MAX_CONTENT_ROWS < data["rows_total"]
    assert result.structured_content["rows_total"] == data["rows_total"]
