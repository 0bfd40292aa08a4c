"""The one public tool set: what the MCP server, `geneverse.tools_for_langchain()` and HTTP `/tools` offer,
with the same names, descriptions, argument schemas and result shapes everywhere.

It is the registry's tools (`tools/registry.py`) and three that answer as the command line does: `ask` (the
whole agent), `query` (one read-only query from a question or Cypher, paged with offset / limit; it stands
for the registry's `omics_query`, which the agent routes to internally) and `correct` (post-correction).
Names carry the `geneverse_` prefix so that they read well in a client that loads several servers. Every
call goes through `PublicTool.call`: text arguments are NFKC-normalised before their length is checked (a
question through the question check of every interface), the result is JSON within the one result budget
(`tools/budget.py`) and names the tool that made it."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel, Field, ValidationError

from agent.answer import AgentAnswer
from agent.graph import GeneverseAgent
from agent.questions import MAX_CORRECT_CHARS, MAX_QUESTION_CHARS, BadInput, check_question
from kg.errors import GeneverseError
from kg.readonly import normalise
from tools.budget import ResultBudget, fit
from tools.correction import CorrectionResult, correct_text
from tools.omics_query import QueryResult
from tools.query.builder import MAX_ROWS, Page
from tools.registry import (
    TOOLS,
    ToolContext,
    ToolOutcome,
    gene_field,
    grounded_describer,
    invalid_arguments,
)

PREFIX = "geneverse_"
INTERNAL = {"omics_query"}  # reached through `query`


class Ask(BaseModel):
    """Ask the Geneverse agent a question about human genes in plain language ('What is the official symbol
    of HER2?', 'Which biosamples have POLR2A ChIP-seq?', 'Describe GLI1'): it links the genes, diseases,
    biosamples and assays the question names to the gene graph, routes it to a tool, checks the reply against
    the graph and answers with a short answer, the full text, the route and provenance (tool, graph records,
    corrections). A long list comes back as its first rows with `rows_total`; page through it with the query
    tool."""
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="the question")


class Query(BaseModel):
    """Run one read-only query over the gene graph from a question in plain language, or from read-only
    Cypher: returns the Cypher that ran, a page of its rows with `rows_total` and `truncated`, and a summary.
    Page on with `offset`. Requests to change the graph are refused."""
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS,
                          description="an omics question ('Which biosamples have POLR2A ChIP-seq?') or read-only "
                                      "Cypher")
    offset: int = Field(0, ge=0, description="rows to skip: to page on, the previous offset plus the rows shown")
    limit: int = Field(ResultBudget.rows, ge=1, le=MAX_ROWS, description="rows to return (the result budget may "
                                                                         "return fewer, saying so in `truncated`)")


class Correct(BaseModel):
    """Post-correct text about one gene against the graph: identifiers, symbol, full name, chromosome,
    cytoband, locus type and alias lists. Returns the corrected text, every correction with its source, and the
    fields that were checked."""
    gene: str = gene_field("the gene the text is about: symbol, alias or identifier")
    text: str = Field(min_length=1, max_length=MAX_CORRECT_CHARS, description="the text to check")


class QueryPage(BaseModel):
    """One read-only query's page of rows, as every door returns it."""
    question: str
    cypher: str = Field(description="the read-only Cypher that ran")
    params: dict[str, Any] = {}
    rows: list[dict[str, Any]]
    rows_total: int | None = Field(None, description="rows there are in all (unknown when typed Cypher had more "
                                                     "rows than were read)")
    offset: int = Field(0, description="rows skipped before `rows`")
    truncated: bool = Field(False, description="whether rows were left out (past this page or the result budget)")
    summary: str
    answer: str | None = Field(None, description="the short answer, of the kind the plan asked for")
    path: str = Field(description="how the query was made: plan, cypher (typed) or llm")
    plan: dict[str, Any] | None = Field(None, description="the typed question plan that ran")
    model: str | None = Field(None, description="the language model that wrote the Cypher, if any")

    @classmethod
    def of(cls, result: QueryResult, page: Page) -> "QueryPage":
        total = result.total if result.total is not None or result.more else len(result.rows)
        return cls(**result.model_dump(include=set(cls.model_fields)), rows_total=total, offset=page.offset,
                   truncated=total is None or total > page.offset + len(result.rows))


@dataclass(frozen=True)
class PublicTool:
    name: str
    args: type[BaseModel]
    result: type[BaseModel]
    run: Callable[[Any], BaseModel]
    lookup: bool = False  # a single look-up: answered beside heavy work, never queued behind it

    @property
    def description(self) -> str:
        return " ".join((self.args.__doc__ or "").split())

    def arguments(self, arguments: dict[str, Any] | None) -> BaseModel:
        """The arguments checked: strings NFKC-normalised first (so a limit counts what is read), then the
        model's types and limits; a question also through the question check."""
        normalised = {k: normalise(v) if isinstance(v, str) else v for k, v in (arguments or {}).items()}
        try:
            args = self.args.model_validate(normalised)
        except ValidationError as err:
            raise BadInput(f"{self.name}: {invalid_arguments(err)}") from None
        if "question" in type(args).model_fields:
            check_question(args.question)
        return args

    def call(self, arguments: dict[str, Any] | None, budget: ResultBudget) -> tuple[dict[str, Any], BaseModel]:
        """Run the tool: its result as JSON within the budget, naming the tool, and the whole result."""
        result = self.run(self.arguments(arguments))
        fitted = fit(result.model_dump(mode="json"), budget)
        return {"tool": self.name, **{k: v for k, v in fitted.items() if k != "tool"}}, result  # named first

    def output_schema(self) -> dict[str, Any]:
        schema = self.result.model_json_schema()
        schema.setdefault("properties", {}).update(
            tool={"type": "string", "description": "the tool that made the result"},
            truncated={"type": "boolean", "description": "whether rows or text were left out to fit the result "
                                                         "budget (rows_total says how many rows there are)"})
        return schema

    def langchain_tool(self, budget: ResultBudget) -> StructuredTool:
        """The tool as a LangChain StructuredTool: its content is the budgeted result as JSON, its artifact the
        whole result; an error a user can cause is the tool's error message."""
        def run(**kwargs: Any) -> tuple[str, BaseModel]:
            try:
                content, result = self.call(kwargs, budget)
            except GeneverseError as err:
                raise ToolException(str(err)) from err
            return json.dumps(content, ensure_ascii=False), result

        return StructuredTool.from_function(func=run, name=self.name, description=self.description,
                                            args_schema=self.args, response_format="content_and_artifact",
                                            handle_tool_error=True, handle_validation_error=invalid_arguments)

    def catalogue_entry(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "arguments": self.args.model_json_schema(),
                "result": self.output_schema()}


def public_tools(agent: GeneverseAgent | None, unavailable: GeneverseError | None = None) -> list[PublicTool]:
    """The public tool set over a loaded agent (its graph, and its language model when one is in the loop);
    without one, the same tools, each answering with `unavailable` (why there is no agent and how to fix it)."""
    runs = _runs(agent) if agent is not None else None

    def refuse(_args: BaseModel) -> BaseModel:
        raise unavailable or GeneverseError("No gene graph is open.")

    tools = [PublicTool(PREFIX + t.route, t.args, ToolOutcome, runs[t.route] if runs else refuse,
                        lookup=t.needs == "gene" and t.route not in {"describe", "tracks"})
             for t in TOOLS if t.route not in INTERNAL]
    tools += [PublicTool(PREFIX + name, args, result, runs[name] if runs else refuse)
              for name, args, result in (("ask", Ask, AgentAnswer), ("query", Query, QueryPage),
                                         ("correct", Correct, CorrectionResult))]
    assert len({t.name for t in tools}) == len(tools), "a tool name is used twice"
    return tools


def _runs(agent: GeneverseAgent) -> dict[str, Callable[[Any], BaseModel]]:
    """What each tool runs, by route, over the agent."""
    graph = agent.graph
    generator = agent.generator() if agent.use_llm else None  # the agent's model writes Cypher and drafts too
    ctx = ToolContext(graph=graph, llm=generator, describe=grounded_describer(graph, generator),
                      plan_of=agent.plan_of)

    def ask(args: Ask) -> AgentAnswer:
        answer = agent.ask(args.question)
        if answer.error:
            raise BadInput(answer.error)
        return answer

    def query(args: Query) -> QueryPage:
        page = Page(args.offset, args.limit)
        return QueryPage.of(agent.query(args.question, page), page)

    def correct(args: Correct) -> CorrectionResult:
        if not args.text.strip():
            raise BadInput("No text to correct.")
        return correct_text(args.text, args.gene, graph)

    return {t.route: (lambda a, t=t: t.run(a, ctx)) for t in TOOLS} | {"ask": ask, "query": query, "correct": correct}


def catalogue(tools: list[PublicTool]) -> list[dict[str, Any]]:
    """Every public tool with its description, argument schema and result schema (HTTP /tools)."""
    return [tool.catalogue_entry() for tool in tools]
