"""`geneverse mcp`: an MCP client session over the session's graph lists the tools and resources and calls
them; the answers are the command line's (`geneverse ask|query|correct --json`); writes and user mistakes
come back as tool errors. The stdio and streamable HTTP commands are started as a user starts them."""

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from agent.graph import GeneverseAgent
from agent.mcp_server import SCHEMA_URI, TRACKS_URI, create_server
from agent.toolset import PREFIX, public_tools
from tools.budget import ResultBudget
from tools.registry import TOOLS

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
    return session(server, lambda client: client.call_tool(PREFIX + name, arguments))


def without_tool(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "tool"}


def cli_json(monkeypatch, capsys, *args: str, stdin: str | None = None) -> tuple[int, dict]:
    code, out, _ = run_cli(monkeypatch, capsys, *args, "--json", stdin=stdin)
    return code, json.loads(out)


def test_tools_are_the_registry_with_its_schemas(server):
    async def work(client):
        return await client.list_tools(), await client.list_resources()

    listed, resources = session(server, work)
    tools = {tool.name.removeprefix(PREFIX): tool for tool in listed.tools}
    assert list(tools) == [t.route for t in TOOLS if t.route != "omics_query"] + ["ask", "query", "correct"]
    for entry in TOOLS:
        if entry.route != "omics_query":
            tool = tools[entry.route]
            assert tool.input_schema == entry.args.model_json_schema() and tool.description == entry.description
            assert tool.annotations.read_only_hint and not tool.annotations.destructive_hint
    assert tools["identifier"].input_schema["properties"]["kind"]["enum"] == ["hgnc", "entrez", "ensembl", "uniprot",
                                                                              "omim"]
    assert tools["ask"].input_schema["required"] == ["question"] and "agent" in tools["ask"].description
    assert [str(r.uri) for r in resources.resources] == [SCHEMA_URI, TRACKS_URI]
    undescribed = [(name, arg) for name, tool in tools.items()
                   for arg, spec in tool.input_schema["properties"].items() if not spec.get("description")]
    assert undescribed == []
    assert all(set(tool.input_schema["properties"]).isdisjoint({"name", "symbol"}) for tool in tools.values())


def test_gene_tools_answer_as_the_cli(server, monkeypatch, capsys):
    result = call(server, "official_symbol", {"gene": "HER2"})
    _, cli = cli_json(monkeypatch, capsys, "ask", HER2)
    outcome = result.structured_content
    assert not result.is_error and json.loads(result.content[0].text) == outcome
    assert outcome["answer"] == cli["answer"] == "ERBB2" and outcome["records"] == cli["provenance"]["records"]
    assert outcome["text"] == cli["text"] and outcome["tool"] == "geneverse_official_symbol"
    assert call(server, "chromosome", {"gene": "TP53"}).structured_content["answer"] == "chr17"
    assert call(server, "identifier", {"gene": "TP53", "kind": "hgnc"}).structured_content["answer"] == "HGNC:11998"


@pytest.mark.parametrize("question", [HER2, "Which biosamples have POLR2A ChIP-seq?", "Where is TP53 located?"])
def test_ask_is_the_cli_answer(server, monkeypatch, capsys, question):
    result = call(server, "ask", {"question": question})
    code, cli = cli_json(monkeypatch, capsys, "ask", question)
    assert code == 0 and not result.is_error and without_tool(result.structured_content) == cli and cli["answer"]


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
    assert without_tool(reply) == cli and reply["tool"] == "geneverse_query"
    assert reply["truncated"] is False and reply["rows_total"] == 1


def test_correct_is_the_cli_correction(server, monkeypatch, capsys):
    text = "ERBB2 lies on chromosome 5 and its HGNC id is HGNC:9999."
    result = call(server, "correct", {"gene": "HER2", "text": text})
    code, cli = cli_json(monkeypatch, capsys, "correct", "--gene", "HER2", stdin=text)
    assert code == 0 and not result.is_error and without_tool(result.structured_content) == cli
    assert cli["text"] == "ERBB2 lies on chromosome 17 and its HGNC id is HGNC:3430."


WRITES = [("query", {"question": "MATCH (n) DETACH DELETE n"}),
          ("query", {"question": "CREATE (g:Gene {gene_id: 'X1', symbol: 'FAKE1'})"}),
          ("query", {"question": "MERGE (b:Biosample {name: 'nowhere'}) RETURN b.name AS name"}),
          ("query", {"question": "MATCH (g:Gene) WHERE g.symbol = 'TP53' SET g.name = 'x' RETURN g.name AS n"}),
          ("ask", {"question": "Delete all tracks for K562"}),
          ("ask", {"question": "PROFILE MATCH (n) DETACH DELETE n"}),
          ("ask", {"question": "// harmless\nCREATE (:Gene {gene_id:'P7'})"}),
          ("ask", {"question": "Which biosamples have POLR2A ChIP-seq? Then DETACH DELETE n"}),
          ("query", {"question": "ｄｅｌｅｔｅ all tracks for K562"}),
          ("ask", {"question": "Change the name of GATA4 to FOO"}),
          ("ask", {"question": "TP53 is now called FOO"})]


def test_write_attempts_are_tool_errors_and_change_nothing(server, graph):
    before = graph.stats()

    async def work(client):
        return [await client.call_tool(PREFIX + name, arguments) for name, arguments in WRITES]

    results = session(server, work)
    for (name, arguments), result in zip(WRITES, results, strict=True):
        assert result.is_error and len(result.content) == 1, (name, arguments)
        message = result.content[0].text
        assert "read-only" in message and "Traceback" not in message, (name, arguments, message)
    assert graph.stats() == before
    assert graph.resolve("FAKE1").best is None


def test_user_mistakes_are_one_message_each(server):
    async def work(client):
        return {
            "bad kind": await client.call_tool(PREFIX + "identifier", {"gene": "TP53", "kind": "refseq"}),
            "missing": await client.call_tool(PREFIX + "official_symbol", {}),
            "unknown gene": await client.call_tool(PREFIX + "gene_overview", {"gene": "FOOBAR123"}),
            "unknown tool": await client.call_tool("drop_graph", {}),
            "blank question": await client.call_tool(PREFIX + "ask", {"question": "   "}),
            "long question": await client.call_tool(PREFIX + "query", {"question": "x" * 2001}),
            "long after NFKC": await client.call_tool(PREFIX + "query", {"question": "\ufdfa" * 1000}),
        }

    results = session(server, work)
    assert all(r.is_error and len(r.content) == 1 for r in results.values())
    text = {name: r.content[0].text for name, r in results.items()}
    assert text["bad kind"].startswith("geneverse_identifier: Invalid arguments: kind: Input should be 'hgnc'")
    assert text["missing"] == "geneverse_official_symbol: Invalid arguments: gene: Field required"
    assert text["unknown gene"].startswith("No gene named 'FOOBAR123' in the graph.")
    assert text["unknown tool"].startswith("Unknown tool 'drop_graph'. Tools: geneverse_official_symbol, ")
    assert text["blank question"].endswith("question: String should have at least 1 character") or \
        text["blank question"] == "The question is empty."
    assert "question: String should have at most 2000 characters" in text["long question"]
    assert "question: String should have at most 2000 characters" in text["long after NFKC"]


def test_resources_are_the_schema_the_track_assays_and_a_track_template(server, graph):
    async def work(client):
        return (await client.read_resource(SCHEMA_URI), await client.read_resource(TRACKS_URI),
                await client.list_resource_templates(), await client.read_resource(f"{TRACKS_URI}/DNASE/K562"))

    schema, assays, templates, k562 = session(server, work)
    assert schema.contents[0].text == graph.schema_text() and "(:Gene {" in schema.contents[0].text
    counts = {r["assay"]: int(r["tracks"]) for r in csv.DictReader(io.StringIO(assays.contents[0].text))}
    assert sum(counts.values()) == 5313 and set(counts) == {"CHIP", "DNASE", "CAGE", "ATAC"}
    assert [t.uri_template for t in templates.resource_templates] == [f"{TRACKS_URI}/{{assay}}/{{biosample}}"]
    rows = list(csv.DictReader(io.StringIO(k562.contents[0].text)))
    assert rows and {r["assay"] for r in rows} == {"DNASE"} and all("K562" in r["biosample"] for r in rows)
    assert [r["identifier"] for r in rows] == [t.identifier for t in graph.tracks(assay="DNASE", biosample="K562")]
    crowded = session(server, lambda client: client.read_resource(f"{TRACKS_URI}/CHIP/K562")).contents[0].text
    assert len(crowded) < 20_000 and crowded.endswith("more tracks left out to fit the result budget\n")


# --- the result budget and time bounds -----------------------------------------------------------------

CHROMOSOME_1 = "Which genes are on chromosome 1?"


@pytest.mark.parametrize("tool", ["ask", "query"])
def test_a_long_list_fits_the_budget_and_says_how_many_there_are(server, graph, tool):
    result = call(server, tool, {"question": CHROMOSOME_1})
    reply = result.structured_content
    total = graph.query("MATCH (g:Gene) WHERE g.chromosome = '1' AND g.hgnc_id IS NOT NULL RETURN count(g) AS n")[0]["n"]
    assert not result.is_error and len(result.content[0].text) < 20_000
    assert reply["rows_total"] == total > len(reply["rows"]) > 0 and reply["truncated"] is True
    assert "records" not in reply and "records" not in reply.get("provenance", {})  # the rows say them once


def test_query_pages_on_with_offset(server):
    first = call(server, "query", {"question": CHROMOSOME_1, "limit": 20}).structured_content
    second = call(server, "query", {"question": CHROMOSOME_1, "limit": 20, "offset": 20}).structured_content
    both = call(server, "query", {"question": CHROMOSOME_1, "limit": 40}).structured_content
    assert len(first["rows"]) == len(second["rows"]) == 20 and second["offset"] == 20
    assert first["rows"] + second["rows"] == both["rows"]


def test_typed_cypher_is_read_only_as_far_as_the_page(server):
    huge = call(server, "query", {"question": "UNWIND range(1, 2000000) AS i RETURN i"}).structured_content
    assert [r["i"] for r in huge["rows"]] == list(range(1, 51)) and huge["rows_total"] is None and huge["truncated"]


def test_an_empty_result_keeps_every_required_field(server):
    result = call(server, "query", {"question": "MATCH (g:Gene) WHERE g.symbol = 'NOPE' RETURN g.symbol AS s"})
    assert not result.is_error and result.structured_content["rows"] == [] and "answer" in result.structured_content


def test_errors_quote_little_of_a_huge_input(server):
    result = call(server, "query", {"question": "why " * 25_000})
    assert result.is_error and len(result.content[0].text) < 2_000


def test_correct_reads_long_unbroken_text_in_linear_time(server):
    started = time.monotonic()
    answered = call(server, "correct", {"gene": "TP53", "text": "A" * 50_000})
    refused = call(server, "correct", {"gene": "TP53", "text": "A" * 100_000})
    assert time.monotonic() - started < 5 and not answered.is_error and answered.structured_content["corrections"] == []
    assert refused.is_error and "at most 50000 characters" in refused.content[0].text


def test_a_slow_call_delays_no_look_up_and_meets_its_deadline(graph):
    server = create_server(GeneverseAgent(graph), deadline_s=3.0)
    slow = "UNWIND range(1, 200000000) AS i WITH i WHERE i % 7 = 3 RETURN count(*) AS c"

    async def work(client):
        results, took = {}, {}

        async def timed(name, tool, arguments):
            started = time.monotonic()
            results[name] = await client.call_tool(PREFIX + tool, arguments)
            took[name] = time.monotonic() - started

        async with anyio.create_task_group() as group:
            group.start_soon(timed, "slow", "query", {"question": slow})
            await anyio.sleep(0.2)
            group.start_soon(timed, "look-up", "chromosome", {"gene": "TP53"})
        return results, took

    results, took = session(server, work)
    # answered while the slow call runs (well inside its deadline), not queued behind it
    assert results["look-up"].structured_content["answer"] == "chr17" and took["look-up"] < 1.5
    assert results["slow"].is_error and "time limit of 3 s" in results["slow"].content[0].text and took["slow"] < 5


def test_langchain_and_mcp_offer_one_tool_set(server, graph):
    from geneverse import tools_for_langchain

    async def work(client):
        return await client.list_tools()

    listed = {t.name: t for t in session(server, work).tools}
    chained = {t.name: t for t in tools_for_langchain(graph)}
    assert list(listed) == list(chained) == [t.name for t in public_tools(GeneverseAgent(graph))]
    for name, tool in chained.items():
        assert tool.description == listed[name].description
        assert tool.args_schema.model_json_schema() == listed[name].input_schema


def test_budget_is_one_setting(monkeypatch):
    monkeypatch.setenv("GENEVERSE_RESULT_ROWS", "10")
    monkeypatch.setenv("GENEVERSE_RESULT_CHARS", "5000")
    assert ResultBudget.from_env() == ResultBudget(rows=10, chars=5000)
    monkeypatch.setenv("GENEVERSE_RESULT_ROWS", "1000")
    with pytest.raises(Exception, match="1 to 100 rows"):
        ResultBudget.from_env()


def _environment(graph_home) -> dict[str, str]:
    return {**os.environ, "GENEVERSE_HOME": str(graph_home), "HF_HUB_OFFLINE": "1"}


def test_stdio_command_answers(graph_home):
    params = StdioServerParameters(command="geneverse", args=["mcp"], env=_environment(graph_home))

    async def main():
        with anyio.fail_after(120):
            async with Client(params) as client:
                return await client.call_tool(PREFIX + "official_symbol", {"gene": "HER2"})

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
                return await client.call_tool(PREFIX + "ask", {"question": HER2})

        result = anyio.run(main)
        assert not result.is_error and result.structured_content["answer"] == "ERBB2"
        assert result.structured_content["route"] == "official_symbol"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_stdio_command_without_a_graph_answers_every_tool_with_how_to_build_it(tmp_path):
    params = StdioServerParameters(command="geneverse", args=["mcp"],
                                   env={**os.environ, "GENEVERSE_HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"})

    async def main():
        with anyio.fail_after(120):
            async with Client(params) as client:
                return (await client.list_tools(),
                        await client.call_tool(PREFIX + "official_symbol", {"gene": "HER2"}),
                        await client.call_tool(PREFIX + "ask", {"question": HER2}))

    listed, symbol, asked = anyio.run(main)
    assert len(listed.tools) == len(TOOLS) - 1 + 3
    for result in (symbol, asked):
        message = " ".join(result.content[0].text.split())
        assert result.is_error and message.startswith("No gene graph at")
        assert message.endswith("Build it first: geneverse kg build")


# --- the recorded contract ---------------------------------------------------------------------------------

CONTRACT = json.loads((Path(__file__).parent / "fixtures" / "contract.json").read_text())


def test_every_public_tool_is_in_the_recorded_contract(server):
    async def work(client):
        return await client.list_tools()

    assert {t.name for t in session(server, work).tools} == {entry["tool"] for entry in CONTRACT}


@pytest.mark.parametrize("entry", CONTRACT, ids=lambda e: f"{e['tool']}-{json.dumps(e['arguments'])[:40]}")
def test_recorded_contract_replays_within_the_size_ceiling(server, entry):
    """Requests recorded by `tests/mcp/record_contract.py` get the recorded response; none passes 20,000
    characters (an error's message may name this machine's paths, so only its opening is compared)."""
    result = call(server, entry["tool"].removeprefix(PREFIX), entry["arguments"])
    text = result.content[0].text
    assert result.is_error == entry["is_error"] and len(text) < 20_000
    if entry["is_error"]:
        assert text[:30] == entry["content"][0][:30]
    else:
        assert result.structured_content == entry["structured_content"]
