"""Geneverse for use from Python: the tool registry as LangChain tools for a user's own LangGraph agent.

    from geneverse import tools_for_langchain
    tools = tools_for_langchain()            # bound to the default gene graph (GENEVERSE_HOME or NEO4J_URI)

The heavy packages are imported when a function is called, not when `geneverse` is imported."""

from typing import Any

__all__ = ["tools_for_langchain"]


def tools_for_langchain(graph: Any | None = None, generator: Any | None = None) -> list:
    """Every tool of `tools/registry.py` as a LangChain `StructuredTool` bound to a gene graph.

    `graph` is an open `kg.graph.GeneGraph` (the default graph is opened when none is given); `generator` is a
    loaded language model (`tools.llm.load_llm(...)`) that the omics query and description tools then use.
    Tools are named by their route (`official_symbol`, `omics_query`, `describe`, ...), take the registry's
    pydantic arguments, and answer with the ToolOutcome as JSON content and the ToolOutcome as artifact; an
    unknown gene, a write attempt or bad arguments come back as the tool's error message."""
    from agent.graph import GeneverseAgent
    from tools.registry import bound_tools

    if graph is None:
        from kg.graph import open_graph

        graph = open_graph()
    # questions to the omics query tool are read by the agent's parsers, as `geneverse ask` reads them
    return bound_tools(graph, generator, plan_of=GeneverseAgent(graph, generator=generator).plan_of)
