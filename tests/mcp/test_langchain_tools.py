"""`geneverse.tools_for_langchain()`: the public tool set as LangChain tools bound to the graph, run by a LangGraph
ToolNode as a user's own agent would run them."""

import json

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode

from agent.answer import AgentAnswer
from agent.toolset import PREFIX
from geneverse import tools_for_langchain
from tools.registry import TOOLS, ToolOutcome


@pytest.fixture(scope="module")
def tools(graph):
    return tools_for_langchain(graph)


def run_calls(tools, *calls: tuple[str, dict]) -> list[ToolMessage]:
    """The replies of a LangGraph graph's ToolNode to one AI message that calls each (tool, arguments)."""
    workflow = StateGraph(MessagesState)
    workflow.add_node("tools", ToolNode(tools))
    workflow.add_edge(START, "tools")
    workflow.add_edge("tools", END)
    message = AIMessage(content="", tool_calls=[{"name": PREFIX + name, "args": args, "id": f"call-{i}",
                                                 "type": "tool_call"} for i, (name, args) in enumerate(calls)])
    replies = workflow.compile().invoke({"messages": [message]})["messages"][1:]
    assert [reply.tool_call_id for reply in replies] == [f"call-{i}" for i in range(len(calls))]
    return replies


def test_the_registry_and_the_three_door_tools_with_their_schemas(tools):
    routes = [t.route for t in TOOLS if t.route != "omics_query"] + ["ask", "query", "correct"]
    assert [t.name for t in tools] == [PREFIX + route for route in routes]
    for tool, entry in zip(tools, [t for t in TOOLS if t.route != "omics_query"], strict=False):
        assert tool.args_schema is entry.args and tool.description == entry.description


def test_tool_node_runs_the_tools_on_the_graph(tools):
    her2, tp53_chromosome, polr2a, tp53, asked = run_calls(
        tools, ("official_symbol", {"gene": "HER2"}), ("chromosome", {"gene": "TP53"}),
        ("query", {"question": "Which biosamples have POLR2A ChIP-seq?"}), ("describe", {"gene": "TP53"}),
        ("ask", {"question": "Which strand is TP53 on?"}))
    assert json.loads(her2.content)["answer"] == "ERBB2" and her2.status == "success"
    assert json.loads(her2.content)["tool"] == "geneverse_official_symbol"
    assert isinstance(her2.artifact, ToolOutcome) and her2.artifact.records == ["HGNC:3430"]
    assert tp53_chromosome.artifact.answer == "chr17"
    assert polr2a.artifact.cypher.startswith("MATCH") and "K562" in polr2a.artifact.answer
    assert tp53.artifact.text.startswith("TP53 (tumor protein p53)")
    assert isinstance(asked.artifact, AgentAnswer) and asked.artifact.answer == "-"


def test_user_mistakes_are_tool_error_messages(tools):
    write, unknown, bad = run_calls(
        tools, ("query", {"question": "MATCH (n) DETACH DELETE n"}), ("gene_overview", {"gene": "FOOBAR123"}),
        ("identifier", {"gene": "TP53", "kind": "refseq"}))
    assert write.status == "error" and "read-only" in write.content
    assert unknown.status == "error" and unknown.content.startswith("No gene named 'FOOBAR123' in the graph.")
    assert "kind" in bad.content and "hgnc" in bad.content


def test_a_chat_model_reads_a_budgeted_page_with_the_total(tools, graph):
    genes, = run_calls(tools, ("query", {"question": "Which genes are on chromosome 21?"}))
    symbols = {r["symbol"] for r in graph.query(
        "MATCH (g:Gene) WHERE g.chromosome = '21' AND g.hgnc_id IS NOT NULL RETURN g.symbol AS symbol")}
    content = json.loads(genes.content)
    assert {r["symbol"] for r in content["rows"]} <= symbols and len(content["rows"]) < len(symbols)
    assert content["rows_total"] == genes.artifact.rows_total == len(symbols) and content["truncated"] is True
    assert len(genes.content) < 20_000
