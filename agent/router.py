"""Routing a question to a tool: rules over linked entities (no language model needed), or tool calling
when a capable chat model is configured. Both give a `RouteDecision`."""

import re
from typing import Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from agent.entities import LinkedEntities
from tools.omics_query import looks_like_cypher

Route = Literal[
    "official_symbol", "identifier", "chromosome", "cytoband", "protein_coding", "diseases_of_gene",
    "genes_of_disease", "go_terms", "go_enrichment", "omics_query", "describe", "gene_overview", "tracks",
    "protein_image", "marker_gene", "retrieval", "unknown",
]


class RouteDecision(BaseModel):
    route: Route
    args: dict[str, Any] = {}
    reason: str = ""
    by: Literal["rules", "llm"] = "rules"


# --- tool schemas offered to a chat model (one per route; the docstring is the tool description) ---------

class OfficialSymbol(BaseModel):
    """Official HGNC symbol of a gene alias, previous symbol, or HGNC / Ensembl / Entrez / UniProt / OMIM id."""
    name: str = Field(description="the alias, symbol or identifier as written")


class Identifier(BaseModel):
    """One identifier of a gene: HGNC, Entrez, Ensembl, UniProt or OMIM."""
    gene: str
    kind: Literal["hgnc", "entrez", "ensembl", "uniprot", "omim"]


class Chromosome(BaseModel):
    """The chromosome a gene lies on."""
    gene: str


class Cytoband(BaseModel):
    """The cytogenetic band and coordinates of a gene."""
    gene: str


class ProteinCoding(BaseModel):
    """Whether a gene is protein-coding."""
    gene: str


class DiseasesOfGene(BaseModel):
    """Conditions associated with a gene (ClinVar, HPO)."""
    gene: str


class GenesOfDisease(BaseModel):
    """Genes associated with a disease or condition (ClinVar, HPO)."""
    disease: str


class GoTerms(BaseModel):
    """GO annotations of one gene."""
    gene: str
    aspect: Literal["BP", "MF", "CC"] | None = None


class GoEnrichment(BaseModel):
    """GO terms enriched in a list of genes."""
    genes: list[str]
    aspect: Literal["BP", "MF", "CC"] = "BP"


class OmicsQuery(BaseModel):
    """Questions over experiments, Enformer tracks, assays, targets, biosamples, genomic regions and GO terms."""
    question: str


class Describe(BaseModel):
    """A paragraph on the function of a gene, checked against the gene graph."""
    gene: str


class Tracks(BaseModel):
    """Explain Enformer's predicted regulatory tracks around a gene."""
    gene: str


class ProteinImage(BaseModel):
    """Identify the protein shown in a structure image."""
    image_path: str


class MarkerGene(BaseModel):
    """Whether a gene is a marker of a cell type, judged from a spatial expression image."""
    image_path: str
    gene: str
    cell_type: str


class Retrieval(BaseModel):
    """Find genes whose descriptions match free text."""
    text: str


ROUTE_TOOLS: dict[str, type[BaseModel]] = {
    "official_symbol": OfficialSymbol, "identifier": Identifier, "chromosome": Chromosome,
    "cytoband": Cytoband, "protein_coding": ProteinCoding, "diseases_of_gene": DiseasesOfGene,
    "genes_of_disease": GenesOfDisease, "go_terms": GoTerms, "go_enrichment": GoEnrichment,
    "omics_query": OmicsQuery, "describe": Describe, "tracks": Tracks, "protein_image": ProteinImage,
    "marker_gene": MarkerGene, "retrieval": Retrieval,
}

ROUTER_SYSTEM = ("You route questions about human genes to exactly one tool. Call the tool that answers the "
                 "question, with arguments copied from the question. Do not answer from memory.")

_IMAGE = re.compile(r"(\S+\.(?:png|jpe?g|tiff?|bmp|webp))\b", re.IGNORECASE)


# --- rules --------------------------------------------------------------------------------------------------

def _has(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE) is not None


def rule_route(question: str, entities: LinkedEntities) -> RouteDecision:
    """Deterministic routing from the question's wording and what it links to in the graph."""
    q = question
    gene = entities.gene.symbol if entities.gene else None
    symbols = [g.symbol for g in entities.genes]
    omics = entities.omics
    if looks_like_cypher(q):
        return RouteDecision(route="omics_query", args={"question": q}, reason="a Cypher statement")
    if image := _IMAGE.search(q):
        if _has(r"\bmarker\b", q) and gene:
            cell = re.search(r"\bmarker(?: gene)? (?:of|for) (?:the )?(.+?)(?: cells?)?(?: in\b|[?.]|$)", q, re.IGNORECASE)
            return RouteDecision(route="marker_gene", args={"image_path": image.group(1), "gene": gene,
                                 "cell_type": cell.group(1) if cell else ""}, reason="image and 'marker'")
        return RouteDecision(route="protein_image", args={"image_path": image.group(1)}, reason="image path")
    if gene and _has(r"\btracks?\b", q) and _has(r"\bexplain|interpret|predict|regulatory|enformer", q) \
            and not _has(r"\bhow many\b|\blist\b|\bwhich\b", q):
        return RouteDecision(route="tracks", args={"gene": gene}, reason="track explanation around a gene")
    if len(symbols) >= 2 and _has(r"enrich|over-?represent|\bGO terms? (?:for|of|shared)|common (?:GO|function)", q):
        return RouteDecision(route="go_enrichment", args={"genes": symbols, "aspect": entities.aspect or "BP"},
                             reason="gene list with enrichment wording")
    omics_named = omics.assay or omics.tracks or omics.region or (omics.biosample and _has(
        r"experiment|assay|profiled|chip|dnase|atac|cage|sample|target", q))
    genes_in_band = (omics.cytoband or omics.region) and _has(r"\bgenes\b|\bwhich genes?\b|\bgenes? (?:lie|are)", q)
    genes_of_term = entities.go_terms and _has(r"\bgenes\b", q) and _has(r"annotat|GO:|\bterm\b", q)
    if omics_named or genes_in_band or (omics.target and _has(r"experiment|chip|profiled|biosample", q)):
        return RouteDecision(route="omics_query", args={"question": q}, reason="assay, track, target or region")
    if genes_of_term and omics.go_id:
        return RouteDecision(route="omics_query", args={"question": q}, reason="genes of a GO term")
    if entities.disease and _has(r"\bgenes?\b", q) and not (gene and entities.disease.upper() == gene):
        return RouteDecision(route="genes_of_disease", args={"disease": entities.disease},
                             reason="genes of a named condition")
    if gene is None:
        if _has(r"\bsimilar to\b|\bsearch\b|\bretrieve\b|\bgenes? (?:that|which|involved)\b", q):
            return RouteDecision(route="retrieval", args={"text": q}, reason="free-text gene search")
        unresolved = f" ('{entities.unresolved[0]}' names no gene in the graph)" if entities.unresolved else ""
        return RouteDecision(route="unknown", reason=f"no gene, identifier or omics term recognised{unresolved}")
    linked = entities.gene
    if _has(r"\bsymbol\b|\bconvert\b|\bofficial\b|\bwhat gene\b|\bwhich gene\b|\balias\b|\bknown as\b", q):
        return RouteDecision(route="official_symbol", args={"name": linked.mention}, reason="symbol wording")
    if entities.identifier_kind and linked.reason != "identifier":
        return RouteDecision(route="identifier", args={"gene": gene, "kind": entities.identifier_kind},
                             reason="identifier of a gene")
    if linked.reason == "identifier" and not _has(r"chromosome|band|protein|disease|GO|function|located", q):
        return RouteDecision(route="official_symbol", args={"name": linked.mention}, reason="bare identifier")
    if _has(r"protein[- ]coding|coding gene|encode[sd]? (?:a )?protein|non-?coding", q):
        return RouteDecision(route="protein_coding", args={"gene": gene}, reason="locus type")
    if _has(r"\bchromosome\b|\bchr\b", q):
        return RouteDecision(route="chromosome", args={"gene": gene}, reason="chromosome wording")
    if _has(r"cytoband|cytogenetic|\bband\b|\blocus\b|location|where\b.*\b(?:located|lie|found|map)|coordinates|"
            r"position", q):
        return RouteDecision(route="cytoband", args={"gene": gene}, reason="location wording")
    if _has(r"disease|disorder|syndrome|condition|phenotype|mutations? cause|clinvar|\bhpo\b", q):
        return RouteDecision(route="diseases_of_gene", args={"gene": gene}, reason="disease wording")
    if _has(r"\bGO\b|gene ontology|biological process|molecular function|cellular component|annotat", q):
        return RouteDecision(route="go_terms", args={"gene": gene, "aspect": entities.aspect},
                             reason="GO wording")
    if _has(r"function|role|describe|summar|what does|tell me|pathway|what is|explain", q):
        return RouteDecision(route="describe", args={"gene": gene}, reason="function wording")
    return RouteDecision(route="gene_overview", args={"gene": gene}, reason="a gene and no other request")


# --- tool calling -------------------------------------------------------------------------------------------

def llm_route(question: str, entities: LinkedEntities, chat_model) -> RouteDecision | None:
    """Ask a tool-calling chat model which tool fits; None when it calls no known tool with valid arguments."""
    tools = list(ROUTE_TOOLS.values())
    try:
        bound = chat_model.bind_tools(tools)
    except NotImplementedError:  # a model that returns tool calls without advertising them
        bound = chat_model
    linked = "; ".join(f"{g.mention} -> {g.symbol}" for g in entities.genes)
    messages = [SystemMessage(ROUTER_SYSTEM),
                HumanMessage(f"{question}\n(genes linked in the graph: {linked or 'none'})")]
    reply = bound.invoke(messages)
    names = {schema.__name__: route for route, schema in ROUTE_TOOLS.items()}
    for call in getattr(reply, "tool_calls", None) or []:
        route = names.get(call["name"]) or (call["name"] if call["name"] in ROUTE_TOOLS else None)
        if route is None:
            continue
        try:
            args = ROUTE_TOOLS[route].model_validate(call["args"]).model_dump()
        except ValidationError:
            continue
        return RouteDecision(route=route, args=args, reason=f"tool call {call['name']}", by="llm")
    return None


def route_question(question: str, entities: LinkedEntities, chat_model=None) -> RouteDecision:
    """Tool calling when a chat model is configured and it picks a tool; the rules otherwise."""
    if chat_model is not None:
        decision = llm_route(question, entities, chat_model)
        if decision is not None:
            return decision
    return rule_route(question, entities)
