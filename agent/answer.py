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


class AgentAnswer(BaseModel):
    question: str
    answer: str | None = Field(None, description="short answer: 'ERBB2', 'chrX', 'TRUE'; None when unanswered")
    text: str = Field(description="the full reply")
    route: str = Field(description="which route answered: 'official_symbol', 'omics_query', 'describe', ...")
    provenance: Provenance
    rows: list[dict[str, Any]] | None = Field(None, description="query result rows, when the route ran a query")
    error: str | None = Field(None, description="set when the agent cannot answer, with the reason")
    refused: bool = Field(False, description="the question asked to change the graph, which is read-only")
