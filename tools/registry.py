"""The one list of tools. Each entry names a route, its pydantic argument model (whose docstring is the
tool's description), the linked entity it needs and the function that runs it. Route names, the router's
targets, the tool-calling schemas offered to a chat model, the agent's dispatch and the descriptions the
HTTP API shows all derive from `TOOLS`; adding a tool is one entry here."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field, ValidationError

from kg.errors import GeneverseError
from tools import gene_facts
from tools.correction import Correction
from tools.enrichment import go_enrichment
from tools.omics_query import run_query
from tools.query.answer import PlanResult, run_plan
from tools.query.builder import MAX_ROWS, Page
from tools.query.plan import Plan


class SlotUnavailable(GeneverseError):
    """A capability whose module or configuration is missing."""


class ToolOutcome(BaseModel):
    tool: str
    answer: str | None
    text: str
    records: list[str] = []
    rows: list[dict[str, Any]] | None = None
    rows_total: int | None = Field(None, description="rows there are in all, when `rows` holds the first of them")
    truncated: bool = Field(False, description="whether rows or text were left out to fit the result budget")
    plan: dict[str, Any] | None = Field(None, description="the typed question plan that ran, if any")
    cypher: str | None = None
    gene: str | None = None
    model: str | None = None
    corrections: list[Correction] = []
    drafted: bool = False


@dataclass
class ToolContext:
    """What a tool may use besides its arguments: the graph, the language model when one is in the loop, a
    describer (the agent's checked description), and the agent's understanding of a question (question ->
    typed plan), which the omics query tool reads questions with."""

    graph: Any
    llm: Any | None = None
    describe: Callable[[str], ToolOutcome] | None = None
    plan_of: Callable[[str], Plan | None] | None = None
    question: str | None = None


# --- argument models (the docstring is the description a chat model and the API see) --------------------

# One argument name per concept, each described, each bounded in length.
GENE_CHARS, NAME_CHARS, TEXT_CHARS, PATH_CHARS = 100, 300, 2_000, 4_096
_GENE = ("a human gene: its symbol, an alias or previous symbol, or an identifier written as such "
         "(HGNC:11998, ENSG00000141510, UniProt P04637, OMIM 191170, or a bare number for an Entrez Gene id)")


def gene_field(description: str = _GENE) -> Any:
    return Field(min_length=1, max_length=GENE_CHARS, description=description)


class OfficialSymbol(BaseModel):
    """Official HGNC symbol of a gene alias, previous symbol, or HGNC / Ensembl / Entrez / UniProt / OMIM id."""
    gene: str = gene_field("the alias, previous symbol or identifier as written (HER2, p53, ENSG00000141736)")


class Identifier(BaseModel):
    """One identifier of a gene: HGNC, Entrez, Ensembl, UniProt or OMIM."""
    gene: str = gene_field()
    kind: Literal["hgnc", "entrez", "ensembl", "uniprot", "omim"] = Field(description="which identifier")


class Chromosome(BaseModel):
    """The chromosome a gene lies on."""
    gene: str = gene_field()


class Cytoband(BaseModel):
    """The cytogenetic band and coordinates of a gene."""
    gene: str = gene_field()


class ProteinCoding(BaseModel):
    """Whether a gene is protein-coding."""
    gene: str = gene_field()


class DiseasesOfGene(BaseModel):
    """Conditions associated with a gene (ClinVar, HPO)."""
    gene: str = gene_field()


class GenesOfDisease(BaseModel):
    """Genes associated with a disease or condition (ClinVar, HPO)."""
    disease: str = Field(min_length=1, max_length=NAME_CHARS,
                         description="a condition's name as ClinVar, HPO or MedGen write it ('Cystic fibrosis')")


class GoTerms(BaseModel):
    """GO annotations of one gene."""
    gene: str = gene_field()
    aspect: Literal["BP", "MF", "CC"] | None = Field(
        None, description="biological process (BP), molecular function (MF) or cellular component (CC); all if unset")


class GoEnrichment(BaseModel):
    """GO terms enriched in a list of genes."""
    genes: list[str] = Field(min_length=1, max_length=1_000,
                             description="the genes, as symbols, aliases or identifiers (up to 1,000)")
    aspect: Literal["BP", "MF", "CC"] = Field(
        "BP", description="biological process (BP), molecular function (MF) or cellular component (CC)")


class OmicsQuery(BaseModel):
    """A question in plain language over the gene graph, answered by one read-only query: genes, conditions, GO
    terms, gene groups, cell types, experiments, Enformer tracks, biosamples, chromosomes, bands and regions;
    filters, 'both' / 'but not', counts, lists, top-N, comparisons, neighbourhoods. Read-only Cypher is run as
    given after the read-only check."""
    question: str = Field(min_length=1, max_length=TEXT_CHARS, description="the question, or read-only Cypher")
    offset: int = Field(0, ge=0, description="rows of a list to skip: page on past `rows` with offset = rows shown")
    limit: int = Field(MAX_ROWS, ge=1, le=MAX_ROWS, description="rows of a list to return")


class QueryPlan(BaseModel):
    """A typed question plan run against the gene graph (see the plan's JSON schema): what kind of record it is
    about, the records it names, conditions, what is asked of them and the operation (get, list, count, check,
    compare, rank, nearest)."""
    plan: Plan = Field(description="the plan, as its JSON schema defines it")
    offset: int = Field(0, ge=0, description="rows of a list to skip: page on past `rows` with offset = rows shown")
    limit: int = Field(MAX_ROWS, ge=1, le=MAX_ROWS, description="rows of a list to return")


class Describe(BaseModel):
    """A paragraph on the function of a gene, checked against the gene graph."""
    gene: str = gene_field()


class GeneOverview(BaseModel):
    """The graph's record of a gene: name, location, locus type, identifiers, summary."""
    gene: str = gene_field()


class Tracks(BaseModel):
    """Predict Enformer's regulatory tracks around a gene and explain them, optionally for one assay (DNase, ATAC,
    ChIP, CAGE) and biosample; needs Enformer weights and a genome FASTA, and says which is missing."""
    gene: str = gene_field()
    assay: str | None = Field(None, max_length=NAME_CHARS,
                              description="DNase-seq, ATAC-seq, ChIP-seq, CAGE, or a histone mark's target")
    biosample: str | None = Field(None, max_length=NAME_CHARS,
                                  description="a biosample as the tracks name it: K562, liver, HepG2 ...")


class VariantEffect(BaseModel):
    """Score single-nucleotide variants with Enformer: ref against alt in all 5,313 tracks, each effect against
    background variants of the same window, explained with the nearest genes; optionally for one assay and
    biosample. Needs Enformer weights and a GRCh38 genome FASTA, and says which is missing."""
    variants: list[Annotated[str, Field(min_length=1, max_length=PATH_CHARS)]] = Field(min_length=1, max_length=20, description=(
        "each a variant written chr:position ref>alt, 1-based on GRCh38 (chr8:11700000 G>A), or the path of a "
        "VCF; dbSNP ids are not known"))
    assay: str | None = Field(None, max_length=NAME_CHARS,
                              description="DNase-seq, ATAC-seq, ChIP-seq, CAGE, or a histone mark's target")
    biosample: str | None = Field(None, max_length=NAME_CHARS,
                                  description="a biosample as the tracks name it: K562, liver, HepG2 ...")
    background: int = Field(16, ge=0, le=200, description="background substitutions sampled in each variant's "
                                                          "window; each costs one forward pass (0: none)")


class ProteinImage(BaseModel):
    """Identify the protein shown in a structure image or structure file (PNG, JPEG, PDB, mmCIF)."""
    image_path: str = Field(min_length=1, max_length=PATH_CHARS,
                            description="path of the image or structure file on the machine running Geneverse")


class MarkerGene(BaseModel):
    """Whether a gene is a marker of a cell type, judged from a spatial expression image."""
    image_path: str = Field(min_length=1, max_length=PATH_CHARS,
                            description="path of the spatial expression image on the machine running Geneverse")
    gene: str = gene_field()
    cell_type: str = Field(min_length=1, max_length=NAME_CHARS, description="the cell type, e.g. 'luminal cells'")


class Retrieval(BaseModel):
    """Find genes whose descriptions match free text."""
    text: str = Field(min_length=1, max_length=TEXT_CHARS, description="free text about a gene's function")


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


def plan_outcome(result: PlanResult, tool: str = "query_plan") -> ToolOutcome:
    return ToolOutcome(tool=tool, answer=result.answer, text=result.text, rows=result.rows, cypher=result.cypher,
                       records=result.records, rows_total=result.total, plan=result.plan)


def _omics_query(args: OmicsQuery, ctx: ToolContext) -> ToolOutcome:
    plan = ctx.plan_of(args.question) if ctx.plan_of is not None else None
    result = run_query(args.question, ctx.graph, llm=ctx.llm, plan=plan, page=Page(args.offset, args.limit))
    if result.answer is not None:
        answer = result.answer
    elif len(result.rows) == 1 and len(result.rows[0]) == 1:
        answer = str(next(iter(result.rows[0].values())))
    else:
        first = next(iter(result.rows[0])) if result.rows else None
        answer = ", ".join(str(r[first]) for r in result.rows[:50]) if first else None
    return ToolOutcome(tool=f"omics_query.{result.path}", answer=answer, text=result.summary, rows=result.rows,
                       cypher=result.cypher, model=result.model, rows_total=result.total, plan=result.plan,
                       records=result.records or [str(r["accession"]) for r in result.rows[:50] if r.get("accession")])


def _query_plan(args: QueryPlan, ctx: ToolContext) -> ToolOutcome:
    return plan_outcome(run_plan(args.plan, ctx.graph, Page(args.offset, args.limit)))


def _describe(args: Describe, ctx: ToolContext) -> ToolOutcome:
    if ctx.describe is None:  # without a language model the graph's own record is the description
        return _fact(gene_facts.gene_overview(args.gene, ctx.graph), "gene_overview")
    return ctx.describe(args.gene)


def _tracks(args: Tracks, ctx: ToolContext) -> ToolOutcome:
    try:
        from tools.tracks import explain_gene_tracks
        from tools.tracks.errors import ModelNotConfigured
    except ImportError as err:
        raise SlotUnavailable(f"track explanation is not installed ({err})") from err
    gene = ctx.graph.gene(args.gene).symbol
    matching = ctx.graph.tracks(assay=args.assay, biosample=args.biosample) if args.assay or args.biosample else []
    if (args.assay or args.biosample) and not matching:
        wanted = " ".join(v for v in (args.assay, args.biosample) if v)
        raise SlotUnavailable(f"no Enformer track measures {wanted}; `geneverse query 'Which biosamples have "
                              f"{args.assay or 'DNase'} tracks?'` lists what there is")
    listed = "; ".join(f"{t.index} {t.identifier} {t.description}" for t in matching[:10])
    chosen = (f" The matching Enformer tracks ({len(matching)}): {listed}"
              f"{' and more' if len(matching) > 10 else ''}." if matching else "")
    try:
        report = explain_gene_tracks(gene, graph=ctx.graph)
    except ModelNotConfigured as err:
        raise SlotUnavailable(f"Enformer cannot run around {gene}: {err}.{chosen}") from None
    rows = [{"track": t.index, "identifier": t.identifier, "description": t.description} for t in matching]
    return ToolOutcome(tool="tracks.explain_gene_tracks", answer=report.gene, text=report.text + chosen,
                       gene=report.gene, rows=rows or None, records=[r for r in [report.gene] if r])


def _variant(args: VariantEffect, ctx: ToolContext) -> ToolOutcome:
    try:
        from tools.tracks.variant import VariantConfig
        from tools.tracks.variant_report import score_requested
    except ImportError as err:
        raise SlotUnavailable(f"variant scoring is not installed ({err})") from err
    run = score_requested(args.variants, graph=ctx.graph, assay=args.assay, biosample=args.biosample,
                          config=VariantConfig(background=args.background))
    rows = [{"variant": report.variant} | effect.model_dump() for report in run.reports
            for effect in report.findings.top]
    skipped = "" if not run.skipped else f" Not scored: {'; '.join(f'line {s.line}: {s.reason}' for s in run.skipped)}."
    return ToolOutcome(tool="tracks.variant", answer=", ".join(r.variant for r in run.reports),
                       text=" ".join(r.text for r in run.reports) + skipped, rows=rows,
                       records=[record for r in run.reports for record in r.records])


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

Needs = Literal["gene", "genes", "disease", "omics", "image", "text", "plan", "variant"]


@dataclass(frozen=True)
class Shape:
    """The question plans a tool answers: its operation, what it asks for (or its one condition's field), and how
    the plan's values become the tool's arguments."""
    op: str
    ask: str | None = None
    on: str | None = None  # the one condition a list plan has (genes of a disease)
    args: Callable[[Plan], dict[str, Any]] = lambda plan: {"gene": plan.names[0]}

    def matches(self, plan: Plan) -> bool:
        if plan.op != self.op or plan.find != "gene":
            return False
        if self.on is not None:
            return (not plan.names and plan.ask is None and len(plan.where) == 1 and plan.where[0].on == self.on
                    and plan.where[0].op == "is" and len(plan.where[0].values) == 1)
        if self.op == "check":
            return len(plan.names) == 1 and len(plan.where) == 1 and plan.where[0].on == "locus_group" \
                and plan.where[0].values == ["protein-coding gene"] and plan.where[0].op == "is"
        return len(plan.names) == 1 and not plan.where and plan.ask == self.ask


@dataclass(frozen=True)
class Tool:
    route: str
    args: type[BaseModel]
    run: Callable[[Any, ToolContext], ToolOutcome]
    needs: Needs = field(default="gene")
    phrased: bool = field(default=False)  # a language model may phrase the reply from the tool's facts
    shapes: tuple[Shape, ...] = field(default=())  # the question plans this tool answers in full

    @property
    def description(self) -> str:
        return " ".join((self.args.__doc__ or "").split())

    def __call__(self, args: dict[str, Any], ctx: ToolContext) -> ToolOutcome:
        return self.run(self.args.model_validate(args), ctx)

    def structured_tool(self) -> StructuredTool:
        """The tool as a chat model sees it; calls go through the agent, so the function is never run here."""
        return StructuredTool.from_function(func=lambda **_: None, name=self.args.__name__,
                                            description=self.description, args_schema=self.args)

def _gene_fact(function: Callable[..., gene_facts.GeneFact], name: str, argument: str = "gene"):
    def run(args: BaseModel, ctx: ToolContext) -> ToolOutcome:
        extra = {"aspect": args.aspect} if isinstance(args, GoTerms) else {}
        return _fact(function(getattr(args, argument), ctx.graph, **extra), name)
    return run


_ID_KINDS = {"hgnc_id": "hgnc", "entrez_id": "entrez", "ensembl_id": "ensembl", "uniprot_ids": "uniprot",
             "omim_id": "omim"}
_ASPECTS = {"go_term": None, "go_process": "BP", "go_function": "MF", "go_component": "CC"}

TOOLS: list[Tool] = [
    Tool("official_symbol", OfficialSymbol, _gene_fact(gene_facts.official_symbol, "official_symbol"),
         phrased=True, shapes=(Shape("get", "symbol"),)),
    Tool("identifier", Identifier, lambda a, c: _fact(gene_facts.identifier(a.gene, a.kind, c.graph), "identifier"),
         phrased=True, shapes=tuple(Shape("get", field_name, args=lambda plan: {"gene": plan.names[0],
                                                                             "kind": _ID_KINDS[plan.ask]})
                                    for field_name in _ID_KINDS)),
    Tool("chromosome", Chromosome, _gene_fact(gene_facts.chromosome, "chromosome"), phrased=True,
         shapes=(Shape("get", "chromosome"),)),
    Tool("cytoband", Cytoband, _gene_fact(gene_facts.cytoband, "cytoband"), phrased=True,
         shapes=(Shape("get", "cytoband"),)),
    Tool("protein_coding", ProteinCoding, _gene_fact(gene_facts.is_protein_coding, "is_protein_coding"),
         phrased=True, shapes=(Shape("check"),)),
    Tool("diseases_of_gene", DiseasesOfGene, _gene_fact(gene_facts.diseases_of_gene, "diseases_of_gene"),
         phrased=True, shapes=(Shape("get", "disease"),)),
    Tool("genes_of_disease", GenesOfDisease, _gene_fact(gene_facts.genes_of_disease, "genes_of_disease",
                                                        "disease"), needs="disease",
         shapes=(Shape("list", on="disease", args=lambda plan: {"disease": plan.where[0].values[0]}),)),
    Tool("go_terms", GoTerms, _gene_fact(gene_facts.go_terms, "go_terms"), phrased=True,
         shapes=tuple(Shape("get", field_name, args=lambda plan: {"gene": plan.names[0], "aspect": _ASPECTS[plan.ask]})
                      for field_name in _ASPECTS)),
    Tool("go_enrichment", GoEnrichment, _enrichment, needs="genes"),
    Tool("omics_query", OmicsQuery, _omics_query, needs="omics"),
    Tool("query_plan", QueryPlan, _query_plan, needs="plan"),
    Tool("describe", Describe, _describe),
    Tool("gene_overview", GeneOverview, _gene_fact(gene_facts.gene_overview, "gene_overview"),
         phrased=True, shapes=(Shape("get"),)),
    Tool("tracks", Tracks, _tracks),
    Tool("variant", VariantEffect, _variant, needs="variant"),
    Tool("protein_image", ProteinImage, _protein_image, needs="image"),
    Tool("marker_gene", MarkerGene, _marker_gene, needs="image"),
    Tool("retrieval", Retrieval, _retrieval, needs="text"),
]
REGISTRY: dict[str, Tool] = {tool.route: tool for tool in TOOLS}
ROUTES: tuple[str, ...] = tuple(REGISTRY)


def tool_for(plan: Plan) -> tuple[Tool, dict[str, Any]]:
    """The registry tool that answers a plan, and its arguments: a tool whose shape the plan has (a gene's
    official symbol, its chromosome, the genes of one condition ...), the tool a tool plan names, else the
    plan itself through `query_plan`."""
    if plan.op == "tool":
        tool = REGISTRY[plan.tool]
        if tool.needs == "genes":
            return tool, {"genes": plan.names}
        if tool.needs == "text":
            return tool, {"text": plan.names[0]}
        # the tool's own options (a track's assay and biosample) from the plan's conditions
        options = {c.on: c.values[0] for c in plan.where if c.on in tool.args.model_fields and c.values}
        return tool, {"gene": plan.names[0]} | options
    for tool in TOOLS:
        for shape in tool.shapes:
            if shape.matches(plan):
                return tool, shape.args(plan)
    return REGISTRY["query_plan"], {"plan": plan}


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
