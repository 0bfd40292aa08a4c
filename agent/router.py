"""Routing what the plan parsers do not: Cypher typed by a user, requests to change the graph, image and
structure files, and tool calling when a capable chat model is configured. Every other question is read
into a typed plan (agent/parse.py) and the plan picks its tool (tools.registry.tool_for). Every pattern here
runs in linear time."""

from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError, field_validator

from agent.entities import LinkedEntities
from agent.intent import IntentScore
from tools.omics_query import looks_like_cypher
from tools.query.guard import write_request
from tools.registry import REGISTRY, ROUTES, TOOLS
from tools.tracks.variant import variant_request


class RouteDecision(BaseModel):
    route: str = Field(description="a route of the tool registry, or 'unknown'")
    args: dict[str, Any] = {}
    reason: str = ""
    by: Literal["rules", "intent", "model", "llm"] = "rules"
    intents: list[IntentScore] = Field([], description="the intent model's best routes and their scores")
    plan: dict[str, Any] | None = Field(None, description="the typed question plan the route answers")
    confidence: float | None = Field(None, description="the parser's confidence in the plan")

    @field_validator("route")
    @classmethod
    def _known(cls, route: str) -> str:
        if route not in ROUTES and route != "unknown":
            raise ValueError(f"no tool answers the route {route!r}")
        return route


ROUTER_SYSTEM = ("You route questions about human genes to exactly one tool. Call the tool that answers the "
                 "question, with arguments copied from the question. Do not answer from memory.")


def _marker_cell_type(question: str) -> str:
    """'Is GATA3 a marker of luminal cells in x.png?' -> 'luminal'."""
    lowered = question.lower()
    for cue in ("marker gene of ", "marker gene for ", "marker of ", "marker for "):
        if (at := lowered.find(cue)) >= 0:
            rest = question[at + len(cue):]
            end = min(i for i in (rest.lower().find(" in "), rest.find("?"), len(rest)) if i >= 0)
            words = rest[:end].split()
            if words and words[0].lower() == "the":
                words = words[1:]
            while words and words[-1].lower() in {"cell", "cells"}:
                words = words[:-1]
            return " ".join(words)
    return ""


def understood(entities: LinkedEntities) -> str:
    """What the question was linked to, in words."""
    parts = []
    if entities.genes:
        parts.append("genes " + ", ".join(f"{g.mention} ({g.symbol})" if g.mention != g.symbol else g.symbol
                                          for g in entities.genes))
    if entities.disease:
        parts.append(f"the condition '{entities.disease}'")
    omics = entities.omics
    for label, value in (("assay", omics.assay), ("targets", ", ".join(omics.targets)), ("biosample", omics.biosample),
                         ("chromosome", omics.chromosome), ("cytoband", omics.cytoband),
                         ("locus type", omics.locus[1] if omics.locus else None)):
        if value:
            parts.append(f"{label} {value}")
    return "; ".join(parts)


CAPABILITIES = ("I can give a gene's symbol, names, identifiers (HGNC, Entrez, Ensembl, UniProt, OMIM, RefSeq, "
                "MANE), location, strand, length, locus type, gene groups, diseases, GO terms, cell types it marks or "
                "an overview; compare genes; list, count and rank genes, conditions, GO terms, gene groups, cell types, "
                "ENCODE experiments and Enformer tracks by any of these; find genes near a gene or a position; run GO "
                "enrichment; describe a gene's function; explain Enformer tracks around a gene; and score a variant "
                "(chr:position ref>alt) with Enformer.")


def fixed_route(question: str, entities: LinkedEntities) -> RouteDecision | None:
    """Cypher, writes in plain words, variants and image files, which no plan reads."""
    if looks_like_cypher(question):
        return RouteDecision(route="omics_query", args={"question": question}, reason="a Cypher statement")
    if verb := write_request(question):
        return RouteDecision(route="omics_query", args={"question": question},
                             reason=f"a request to {verb} graph records (refused as a write)")
    if variants := variant_request(question):
        omics = entities.omics
        return RouteDecision(route="variant", reason="a variant to score (chr:position ref>alt or a VCF)",
                             args={"variants": variants, "assay": omics.assay or omics.target,
                                   "biosample": omics.biosample})
    if entities.paths:
        path = entities.paths[0]
        if "marker" in question.lower() and entities.gene:
            return RouteDecision(route="marker_gene", reason="image and 'marker'", args={
                "image_path": path, "gene": entities.gene.symbol, "cell_type": _marker_cell_type(question)})
        return RouteDecision(route="protein_image", args={"image_path": path}, reason="image or structure file")
    return None


# --- tool calling -------------------------------------------------------------------------------------------

def llm_route(question: str, entities: LinkedEntities, chat_model) -> RouteDecision | None:
    """Ask a tool-calling chat model which tool fits; None when it calls no known tool with valid arguments."""
    try:
        bound = chat_model.bind_tools([tool.structured_tool() for tool in TOOLS])
    except NotImplementedError:  # a model that returns tool calls without advertising them
        bound = chat_model
    linked = "; ".join(f"{g.mention} -> {g.symbol}" for g in entities.genes)
    messages = [SystemMessage(ROUTER_SYSTEM),
                HumanMessage(f"{question}\n(genes linked in the graph: {linked or 'none'})")]
    reply = bound.invoke(messages)
    names = {tool.args.__name__: tool for tool in TOOLS} | REGISTRY
    for call in getattr(reply, "tool_calls", None) or []:
        tool = names.get(call["name"])
        if tool is None:
            continue
        try:
            args = tool.args.model_validate(call["args"]).model_dump()
        except ValidationError:
            continue
        return RouteDecision(route=tool.route, args=args, reason=f"tool call {call['name']}", by="llm")
    return None
