"""What the agent returns: a short answer, the full reply, the route taken and its provenance."""

from typing import Any

from pydantic import BaseModel, Field

from tools.correction import Correction

__all__ = ["AgentAnswer", "Correction", "Provenance"]


class Provenance(BaseModel):
    tool: str = Field(description="the tool that produced the answer, e.g. 'gene_facts.official_symbol'")
    records: list[str] = Field([], description="graph records the answer rests on (HGNC ids, GO ids, accessions)")
    corrections: list[Correction] = []
    model: str | None = Field(None, description="language model used, if any")
    cypher: str | None = Field(None, description="the read-only Cypher that was run, if any")
    plan: dict[str, Any] | None = Field(None, description="the typed question plan, without its defaults")
    parser: str | None = Field(None, description="which parser made the plan: rules, model, or a chat model (llm)")
    confidence: float | None = Field(None, description="the parser's confidence in the plan")
    understood: str | None = Field(None, description="what the parser understood, in words")


class AgentAnswer(BaseModel):
    question: str
    answer: str | None = Field(None, description="short answer: 'ERBB2', 'chrX', 'TRUE'; None when unanswered")
    text: str = Field(description="the full reply")
    route: str = Field(description="which route answered: 'official_symbol', 'omics_query', 'describe', ...")
    provenance: Provenance
    rows: list[dict[str, Any]] | None = Field(None, description="query result rows, when the route ran a query")
    rows_total: int | None = Field(None, description="rows there are in all; `rows` holds at most the first 100")
    truncated: bool = Field(False, description="whether rows or text were left out to fit the result budget")
    error: str | None = Field(None, description="set when the agent cannot answer, with the reason")
    refused: bool = Field(False, description="the question asked to change the graph, which is read-only")
