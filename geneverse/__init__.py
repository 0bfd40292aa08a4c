"""Geneverse for use from Python: the tool registry as LangChain tools for a user's own LangGraph agent.

    from geneverse import tools_for_langchain
    tools = tools_for_langchain()            # bound to the default gene graph (GENEVERSE_HOME or NEO4J_URI)

The heavy packages are imported when a function is called, not when `geneverse` is imported."""

from typing import Any

__all__ = ["tools_for_langchain"]


def tools_for_langchain(graph: Any | None = None, generator: Any | None = None) -> list:
    """The public tool set (`agent/toolset.py`, the same as the MCP server's) as LangChain `StructuredTool`s
    bound to a gene graph.

    `graph` is an open `kg.graph.GeneGraph` (the default graph is opened when none is given); `generator` is a
    loaded language model (`tools.llm.load_llm(...)`) that the query and description tools then use. Tools are
    named `geneverse_<tool>` (`geneverse_ask`, `geneverse_official_symbol`, `geneverse_query`, ...); each
    answers with its result as JSON within the result budget (`tools/budget.py`) as content and the whole
    result as artifact; an unknown gene, a write attempt or bad arguments come back as the tool's error
    message."""
    from agent.graph import GeneverseAgent
    from agent.toolset import public_tools
    from tools.budget import ResultBudget

    if graph is None:
        from kg.graph import open_graph

        graph = open_graph()
    agent = GeneverseAgent(graph, generator=generator, use_llm=generator is not None)
    budget = ResultBudget.from_env()
    return [tool.langchain_tool(budget) for tool in public_tools(agent)]
