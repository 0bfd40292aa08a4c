"""The one list of tools. Each entry names a route, its pydantic argument model (whose docstring is the
tool's description), the linked entity it needs and the function that runs it. Route names, the router's
targets, the tool-calling schemas offered to a chat model, the agent's dispatch and the descriptions the
HTTP API shows all derive from `TOOLS`; adding a tool is one entry here."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel, Field, ValidationError

from kg.errors import GeneverseError
from tools import gene_facts
from tools.correction import Correction
from tools.enrichment import go_enrichment
from tools.omics_query import run_query
from tools.query.vocabulary import OmicsTerms


class SlotUnavailable(GeneverseError):
    """A capability whose module or configuration is missing."""


class ToolOutcome(BaseModel):
    tool: str
    answer: str | None
    text: str
    records: list[str] = []
    rows: list[dict[str, Any]] | None = None
    cypher: str | None = None
    gene: str | None = None
    model: str | None = None
    corrections: list[Correction] = []
    drafted: bool = False


@dataclass
class ToolContext:
    """What a tool may use besides its arguments: the graph, the language model when one is in the loop, a
    describer (the agent's checked description), and the question's linked omics terms and disease."""

    graph: Any
    llm: Any | None = None
    describe: Callable[[str], ToolOutcome] | None = None
    terms: OmicsTerms | None = None
    disease: str | None = None
    question: str | None = None


# --- argument models (the docstring is the description a chat model and the API see) --------------------

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
    """Questions over experiments, Enformer tracks, assays, targets, biosamples, chromosomes, cytobands, regions,
    locus types, GO terms and diseases: filters, 'both' / 'but not', counts, lists, top-N, 'which has the most'."""
    question: str


class Describe(BaseModel):
    """A paragraph on the function of a gene, checked against the gene graph."""
    gene: str


class GeneOverview(BaseModel):
    """The graph's record of a gene: name, location, locus type, identifiers, summary."""
    gene: str


class Tracks(BaseModel):
    """Explain Enformer's predicted regulatory tracks around a gene."""
    gene: str


class ProteinImage(BaseModel):
    """Identify the protein shown in a structure image or structure file (PNG, JPEG, PDB, mmCIF)."""
    image_path: str


class MarkerGene(BaseModel):
    """Whether a gene is a marker of a cell type, judged from a spatial expression image."""
    image_path: str
    gene: str
    cell_type: str


class Retrieval(BaseModel):
    """Find genes whose descriptions match free text."""
    text: str


# --- the functions -----------------------------------------------------------------------------------------

def _fact(fact: gene_facts.GeneFact, tool: str) -> ToolOutcome:
    return ToolOutcome(tool=f"gene_facts.{tool}", answer=fact.answer, text=fact.text, records=fact.records,
                       rows=fact.rows, gene=fact.gene)


def _enrichment(args: GoEnrichment, ctx: ToolContext) -> ToolOutcome:
    terms = go_enrichment(args.genes, ctx.graph, aspect=args.aspect)
    if not terms:
        return ToolOutcome(tool="enrichment.go_enrichment", answer=None, text="No GO term is shared by these genes.")
    top = terms[0]
    listed = "; ".join(f"{t.name} ({t.go_id}, {t.overlap}/{t.query_size} genes, adjusted p={t.p_adjusted:.2g})"
                       for t in terms[:5])
    text = (f"The most enriched GO {top.aspect} term for {', '.join(args.genes)} is {top.name} ({top.go_id}): "
            f"{top.overlap} of {top.query_size} genes against {top.term_size} of {top.background_size} in the "
            f"annotated background, adjusted p={top.p_adjusted:.2g} (hypergeometric, Benjamini-Hochberg). "
            f"Top terms: {listed}.")
    return ToolOutcome(tool="enrichment.go_enrichment", answer=top.name, text=text,
                       records=[t.go_id for t in terms], rows=[t.model_dump() for t in terms])


def _omics_query(args: OmicsQuery, ctx: ToolContext) -> ToolOutcome:
    linked = ctx.terms is not None and args.question == ctx.question
    result = run_query(args.question, ctx.graph, llm=ctx.llm, terms=ctx.terms if linked else None,
                       disease=ctx.disease if linked else None)
    if len(result.rows) == 1 and len(result.rows[0]) == 1:
        answer = str(next(iter(result.rows[0].values())))
    else:
        first = next(iter(result.rows[0])) if result.rows else None
        answer = ", ".join(str(r[first]) for r in result.rows[:50]) if first else None
    return ToolOutcome(tool=f"omics_query.{result.path}", answer=answer, text=result.summary, rows=result.rows,
                       cypher=result.cypher, model=result.model,
                       records=[str(r["accession"]) for r in result.rows[:50] if r.get("accession")])


def _describe(args: Describe, ctx: ToolContext) -> ToolOutcome:
    if ctx.describe is None:  # without a language model the graph's own record is the description
        return _fact(gene_facts.gene_overview(args.gene, ctx.graph), "gene_overview")
    return ctx.describe(args.gene)


def _tracks(args: Tracks, ctx: ToolContext) -> ToolOutcome:
    try:
        from tools.tracks import explain_gene_tracks
    except ImportError as err:
        raise SlotUnavailable(f"track explanation is not installed ({err})") from err
    report = explain_gene_tracks(args.gene, graph=ctx.graph)
    return ToolOutcome(tool="tracks.explain_gene_tracks", answer=report.gene, text=report.text, gene=report.gene,
                       records=[r for r in [report.gene] if r])


def _protein_image(args: ProteinImage, ctx: ToolContext) -> ToolOutcome:
    try:
        from tools.mllm import identify_protein
    except ImportError as err:
        raise SlotUnavailable(f"the protein image model is not installed ({err})") from err
    found = identify_protein(args.image_path)
    return ToolOutcome(tool="mllm.identify_protein", answer=found.answer, text=found.answer, model=found.model,
                       records=[found.image])


def _marker_gene(args: MarkerGene, ctx: ToolContext) -> ToolOutcome:
    if not args.cell_type:
        raise SlotUnavailable("name the cell type, e.g. 'Is GATA3 a marker of luminal cells in image.png?'")
    try:
        from tools.mllm import is_marker_gene
    except ImportError as err:
        raise SlotUnavailable(f"the marker-gene image model is not installed ({err})") from err
    found = is_marker_gene(args.image_path, args.gene, args.cell_type)
    return ToolOutcome(tool="mllm.is_marker_gene", answer=found.answer, text=found.answer, model=found.model,
                       records=[found.image], gene=args.gene)


def _retrieval(args: Retrieval, ctx: ToolContext) -> ToolOutcome:
    try:
        from retrieval.index import GeneIndex
    except ImportError as err:
        raise SlotUnavailable(f"retrieval is not installed ({err})") from err
    index = GeneIndex.open()
    if index.count() == 0:
        raise SlotUnavailable("the retrieval index is empty; build it with: geneverse rag index")
    hits = index.search(args.text, k=5)
    text = "Closest gene documents: " + "; ".join(f"{h.symbol} (score {h.score:.2f})" for h in hits) + "."
    return ToolOutcome(tool="retrieval.search", answer=", ".join(h.symbol for h in hits), text=text,
                       rows=[h.model_dump() for h in hits], records=[h.symbol for h in hits])


# --- the registry ------------------------------------------------------------------------------------------

Needs = Literal["gene", "genes", "disease", "omics", "image", "text"]


@dataclass(frozen=True)
class Tool:
    route: str
    args: type[BaseModel]
    run: Callable[[Any, ToolContext], ToolOutcome]
    needs: Needs = field(default="gene")
    phrased: bool = field(default=False)  # a language model may phrase the reply from the tool's facts

    @property
    def description(self) -> str:
        return " ".join((self.args.__doc__ or "").split())

    def __call__(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        return self.run(self.args.model_validate(args), ctx)

    def structured_tool(self) -> StructuredTool:
        """The tool as a chat model sees it; calls go through the agent, so the function is never run here."""
        return StructuredTool.from_function(func=lambda **_: None, name=self.args.__name__,
                                            description=self.description, args_schema=self.args)

    def bound_tool(self, ctx: ToolContext) -> StructuredTool:
        """The tool as a LangChain StructuredTool named by its route that runs it with `ctx` (for a LangGraph
        ToolNode or any agent framework). Its content is the ToolOutcome as JSON (rows capped: `model_content`),
        its artifact the whole ToolOutcome;
        an error a user can cause (unknown gene, write attempt, bad arguments) is the tool's error message."""
        def run(**kwargs: Any) -> tuple[str, ToolOutcome]:
            try:
                outcome = self(kwargs, ctx)
            except GeneverseError as err:
                raise ToolException(str(err)) from err
            return json.dumps(model_content(outcome)), outcome

        return StructuredTool.from_function(func=run, name=self.route, description=self.description,
                                            args_schema=self.args, response_format="content_and_artifact",
                                            handle_tool_error=True, handle_validation_error=invalid_arguments)


# A chat model reads at most this many rows of a tool's result; the rest stay in the artifact.
MAX_CONTENT_ROWS = 100


def model_content(outcome: ToolOutcome) -> dict[str, Any]:
    """The outcome as a chat model reads it: its first MAX_CONTENT_ROWS rows and how many there are."""
    content = outcome.model_dump(mode="json", exclude_none=True)
    if outcome.rows is not None and len(outcome.rows) > MAX_CONTENT_ROWS:
        content.update(rows=content["rows"][:MAX_CONTENT_ROWS], rows_total=len(outcome.rows))
    return content


def _gene_fact(function: Callable[..., gene_facts.GeneFact], name: str, argument: str = "gene"):
    def run(args: BaseModel, ctx: ToolContext) -> ToolOutcome:
        extra = {"aspect": args.aspect} if isinstance(args, GoTerms) else {}
        return _fact(function(getattr(args, argument), ctx.graph, **extra), name)
    return run


TOOLS: list[Tool] = [
    Tool("official_symbol", OfficialSymbol, _gene_fact(gene_facts.official_symbol, "official_symbol", "name"),
         phrased=True),
    Tool("identifier", Identifier, lambda a, c: _fact(gene_facts.identifier(a.gene, a.kind, c.graph), "identifier"),
         phrased=True),
    Tool("chromosome", Chromosome, _gene_fact(gene_facts.chromosome, "chromosome"), phrased=True),
    Tool("cytoband", Cytoband, _gene_fact(gene_facts.cytoband, "cytoband"), phrased=True),
    Tool("protein_coding", ProteinCoding, _gene_fact(gene_facts.is_protein_coding, "is_protein_coding"),
         phrased=True),
    Tool("diseases_of_gene", DiseasesOfGene, _gene_fact(gene_facts.diseases_of_gene, "diseases_of_gene"),
         phrased=True),
    Tool("genes_of_disease", GenesOfDisease, _gene_fact(gene_facts.genes_of_disease, "genes_of_disease",
                                                        "disease"), needs="disease"),
    Tool("go_terms", GoTerms, _gene_fact(gene_facts.go_terms, "go_terms"), phrased=True),
    Tool("go_enrichment", GoEnrichment, _enrichment, needs="genes"),
    Tool("omics_query", OmicsQuery, _omics_query, needs="omics"),
    Tool("describe", Describe, _describe),
    Tool("gene_overview", GeneOverview, _gene_fact(gene_facts.gene_overview, "gene_overview"),
         phrased=True),
    Tool("tracks", Tracks, _tracks),
    Tool("protein_image", ProteinImage, _protein_image, needs="image"),
    Tool("marker_gene", MarkerGene, _marker_gene, needs="image"),
    Tool("retrieval", Retrieval, _retrieval, needs="text"),
]
REGISTRY: dict[str, Tool] = {tool.route: tool for tool in TOOLS}
ROUTES: tuple[str, ...] = tuple(REGISTRY)


def invalid_arguments(err: ValidationError) -> str:
    """Arguments a tool's model rejects, as one line: 'gene: Field required; kind: Input should be ...'."""
    problems = [f"{'.'.join(str(part) for part in e['loc']) or 'arguments'}: {e['msg']}" for e in err.errors()]
    return "Invalid arguments: " + "; ".join(problems)


def grounded_describer(graph: Any, generator: Any | None = None) -> Callable[[str], ToolOutcome]:
    """The agent's grounded description as a ToolContext describer: the model's draft from the gene's facts
    packet checked sentence by sentence, or without a generator the deterministic composition."""
    from tools.describe import describe_gene

    def describe(name: str) -> ToolOutcome:
        described = describe_gene(name, graph, generator)
        return ToolOutcome(tool="describe.describe_gene", answer=described.symbol, text=described.text,
                           gene=described.symbol, records=described.records, corrections=described.corrections,
                           model=getattr(generator, "name", None))
    return describe


def bound_tools(graph: Any, generator: Any | None = None) -> list[StructuredTool]:
    """Every tool of the registry as a LangChain StructuredTool bound to `graph` (and a loaded language
    model, when the query and description tools should use one)."""
    ctx = ToolContext(graph=graph, llm=generator, describe=grounded_describer(graph, generator))
    return [tool.bound_tool(ctx) for tool in TOOLS]


def catalogue() -> list[dict[str, Any]]:
    """Every tool with its description and argument schema, for the HTTP API and the web page."""
    return [{"route": t.route, "name": t.args.__name__, "description": t.description,
             "arguments": t.args.model_json_schema()} for t in TOOLS]
