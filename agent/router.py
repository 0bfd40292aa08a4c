"""Routing a question to a tool of the registry: a few fixed rules (Cypher, writes in plain words, image
files), then the learned intent model over the question with its entities masked, taking the best route
whose needs the linked entities meet; or tool calling when a capable chat model is configured. Every
pattern here runs in linear time."""

import re
from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError, field_validator

from agent.entities import LinkedEntities, disease_phrase, masked
from agent.intent import THRESHOLD, IntentModel, IntentScore, intent_model
from tools.omics_query import looks_like_cypher
from tools.query.guard import write_request
from tools.registry import REGISTRY, ROUTES, TOOLS


class RouteDecision(BaseModel):
    route: str = Field(description="a route of the tool registry, or 'unknown'")
    args: dict[str, Any] = {}
    reason: str = ""
    by: Literal["rules", "intent", "llm"] = "rules"
    intents: list[IntentScore] = Field([], description="the intent model's best routes and their scores")

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


def _args(route: str, question: str, entities: LinkedEntities) -> dict[str, Any] | None:
    """Arguments for a route from the linked entities; None when they lack what the route needs."""
    gene = entities.gene
    needs = REGISTRY[route].needs
    if needs == "omics":
        return {"question": question} if entities.omics.any or entities.go_terms else None
    if needs == "text":
        return {"text": question}
    if needs == "disease":
        if entities.disease:  # the words as written: the tool says which name of the condition they matched
            return {"disease": question[slice(*entities.disease_span)] if entities.disease_span else entities.disease}
        phrase = disease_phrase(question)  # unlinked words may name a condition; not when they name a GO term
        return {"disease": phrase} if phrase and not entities.omics.go_id else None
    if needs == "genes":
        symbols = [g.symbol for g in entities.genes]
        return {"genes": symbols, "aspect": entities.aspect or "BP"} if len(symbols) >= 2 else None
    if needs == "image" or gene is None:
        return None
    if route == "official_symbol":
        return {"name": gene.mention}
    if route == "identifier":
        if entities.identifier_kind is None or gene.reason == "identifier":
            return None
        return {"gene": gene.symbol, "kind": entities.identifier_kind}
    if route == "go_terms":
        return {"gene": gene.symbol, "aspect": entities.aspect}
    return {"gene": gene.symbol}


MARGIN = 0.1
_AGGREGATE = re.compile(r"\b(?:how many|number of|count|list|which|top \d+|most)\b", re.IGNORECASE)


def _fits(route: str, question: str, entities: LinkedEntities) -> bool:
    """Routes that answer about one gene do not take a list of genes, and the track explanation around a gene
    does not take counting or listing questions (those are queries over the tracks)."""
    if REGISTRY[route].needs == "gene" and len(entities.genes) >= 3:
        return False
    return not (route == "tracks" and _AGGREGATE.search(question))


def _filters(entities: LinkedEntities) -> bool:
    omics = entities.omics
    return bool(omics.chromosome or omics.cytoband or omics.region or omics.locus or omics.assay or omics.biosample
                or omics.go_id)


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


CAPABILITIES = ("I can give a gene's official symbol, identifiers, chromosome, cytoband, locus type, diseases, GO "
                "terms or an overview; the genes of a disease; GO enrichment of a gene list; and query experiments, "
                "Enformer tracks, biosamples, targets, locations, locus types and GO terms.")


def rule_route(question: str, entities: LinkedEntities, model: IntentModel | None = None) -> RouteDecision:
    """Fixed rules for Cypher, writes and image files; otherwise the best-scoring intent the entities can serve."""
    if looks_like_cypher(question):
        return RouteDecision(route="omics_query", args={"question": question}, reason="a Cypher statement")
    if verb := write_request(question):
        return RouteDecision(route="omics_query", args={"question": question},
                             reason=f"a request to {verb} graph records (refused as a write)")
    if entities.paths:
        path = entities.paths[0]
        if "marker" in question.lower() and entities.gene:
            return RouteDecision(route="marker_gene", reason="image and 'marker'", args={
                "image_path": path, "gene": entities.gene.symbol, "cell_type": _marker_cell_type(question)})
        return RouteDecision(route="protein_image", args={"image_path": path}, reason="image or structure file")
    scores = (model or intent_model()).scores(masked(question, entities))
    best = scores[0]
    eligible = [(c, args) for c in scores if c.score >= THRESHOLD
                and _fits(c.route, question, entities) and (args := _args(c.route, question, entities)) is not None]
    if eligible:
        chosen, args = eligible[0]
        query = next(((c, a) for c, a in eligible if c.route == "omics_query"), None)
        # filters the chosen route would ignore ('... linked to DISEASE on chromosome 14') make it a query
        if query and chosen.route != "omics_query" and _filters(entities) and query[0].score >= chosen.score - MARGIN:
            chosen, args = query
        return RouteDecision(route=chosen.route, args=args, by="intent", intents=scores[:3],
                             reason=f"reads as {chosen.route} ({chosen.score:.2f})")
    linked = understood(entities)
    if not linked:
        reason = "no gene, identifier or omics term recognised"
        if entities.unresolved:
            reason += f" ('{entities.unresolved[0]}' names no gene in the graph)"
    elif best.score < THRESHOLD:
        reason = f"understood {linked}, but not what is asked of them"
    else:
        reason = f"understood {linked}; it reads as a {best.route} question, which needs what it does not name"
    return RouteDecision(route="unknown", reason=f"{reason}. {CAPABILITIES}", by="intent", intents=scores[:3])


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


def route_question(question: str, entities: LinkedEntities, chat_model=None) -> RouteDecision:
    """Tool calling when a chat model is configured and it picks a tool; the rules and intent model otherwise."""
    if chat_model is not None:
        decision = llm_route(question, entities, chat_model)
        if decision is not None:
            return decision
    return rule_route(question, entities)
