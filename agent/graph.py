"""The Geneverse agent: a LangGraph StateGraph that understands a question (links its entities to graph
records), routes it to a tool, verifies and post-corrects the draft against the graph, and answers with
provenance. Anything it cannot answer from a tool ends in an honest "cannot answer" with the reason."""

import re
from collections.abc import Callable
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel

from agent.answer import AgentAnswer, Correction, Provenance
from agent.entities import LinkedEntities, LinkedGene, link_entities
from agent.router import RouteDecision, route_question
from kg.errors import GeneNotFound, GeneverseError
from tools import gene_facts
from tools.correction import correct_text, tidy_draft
from tools.enrichment import go_enrichment
from tools.llm import DESCRIBE_PROMPT, LLMConfig, load_llm
from tools.omics_query import run_query


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


class AgentState(TypedDict, total=False):
    question: str
    history: list[AgentAnswer]
    entities: LinkedEntities
    decision: RouteDecision
    outcome: ToolOutcome
    error: str
    result: AgentAnswer


# Routes whose reply a language model may phrase from the tool's facts before the graph checks it.
FACT_ROUTES = {"official_symbol", "identifier", "chromosome", "cytoband", "protein_coding", "diseases_of_gene",
               "go_terms", "gene_overview"}
REPLY_SYSTEM = ("You answer questions about human genes in one or two sentences, using only the facts given. "
                "Do not add facts that are not given.")
FOLLOW_UP_ROUTES = {"official_symbol", "chromosome", "cytoband", "protein_coding", "diseases_of_gene", "go_terms",
                    "describe"}
_FOLLOW_UP = re.compile(r"^\s*(?:and|what about|how about)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:it|its|this gene|that gene|the gene|the same gene|they|their)\b", re.IGNORECASE)


def _fact(outcome: gene_facts.GeneFact, tool: str) -> ToolOutcome:
    return ToolOutcome(tool=f"gene_facts.{tool}", answer=outcome.answer, text=outcome.text,
                       records=outcome.records, rows=outcome.rows, gene=outcome.gene)


class GeneverseAgent:
    """Loads the graph and (optionally) a language model once; answers questions through a StateGraph."""

    def __init__(self, graph, llm_config: LLMConfig | None = None, use_llm: bool = False, tidy_drafts: bool = True):
        self.graph = graph
        self.llm_config = llm_config or LLMConfig.from_env()
        self.use_llm = use_llm
        self.tidy_drafts = tidy_drafts
        self._generator = None
        self.chat_model = None
        if use_llm:
            self.chat_model = self.generator().chat_model()
        self.tools: dict[str, Callable[[dict[str, Any], AgentState], ToolOutcome]] = {
            "official_symbol": lambda a, s: _fact(gene_facts.official_symbol(a["name"], graph), "official_symbol"),
            "identifier": lambda a, s: _fact(gene_facts.identifier(a["gene"], a["kind"], graph), "identifier"),
            "chromosome": lambda a, s: _fact(gene_facts.chromosome(a["gene"], graph), "chromosome"),
            "cytoband": lambda a, s: _fact(gene_facts.cytoband(a["gene"], graph), "cytoband"),
            "protein_coding": lambda a, s: _fact(gene_facts.is_protein_coding(a["gene"], graph), "is_protein_coding"),
            "diseases_of_gene": lambda a, s: _fact(gene_facts.diseases_of_gene(a["gene"], graph), "diseases_of_gene"),
            "genes_of_disease": lambda a, s: _fact(gene_facts.genes_of_disease(a["disease"], graph),
                                                   "genes_of_disease"),
            "go_terms": lambda a, s: _fact(gene_facts.go_terms(a["gene"], graph, aspect=a.get("aspect")), "go_terms"),
            "gene_overview": lambda a, s: _fact(gene_facts.gene_overview(a["gene"], graph), "gene_overview"),
            "go_enrichment": self._enrichment,
            "omics_query": self._omics_query,
            "describe": self._describe_route,
            "tracks": self._tracks,
            "protein_image": self._protein_image,
            "marker_gene": self._marker_gene,
            "retrieval": self._retrieval,
        }
        self.workflow = self._build()

    @classmethod
    def from_env(cls, llm: LLMConfig | None = None, use_llm: bool = False, graph=None) -> "GeneverseAgent":
        if graph is None:
            from kg.graph import open_graph

            graph = open_graph()
        return cls(graph, llm_config=llm, use_llm=use_llm)

    def generator(self):
        """The language model, loaded on first use (a description needs one even without an LM in the loop)."""
        if self._generator is None:
            self._generator = load_llm(self.llm_config)
        return self._generator

    # --- the StateGraph -----------------------------------------------------------------------------------

    def _build(self):
        workflow = StateGraph(AgentState)
        workflow.add_node("understand", self._understand)
        workflow.add_node("route", self._route)
        workflow.add_node("tool", self._tool)
        workflow.add_node("verify", self._verify)
        workflow.add_node("answer", self._answer)
        workflow.add_edge(START, "understand")
        workflow.add_edge("understand", "route")
        workflow.add_conditional_edges("route", lambda s: "answer" if "error" in s else "tool")
        workflow.add_conditional_edges("tool", lambda s: "answer" if "error" in s else "verify")
        workflow.add_edge("verify", "answer")
        workflow.add_edge("answer", END)
        return workflow.compile()

    def _understand(self, state: AgentState) -> dict:
        question = state["question"]
        entities = link_entities(question, self.graph)
        if not entities.genes and _PRONOUN.search(question):
            previous = self._gene_from_history(state.get("history") or [])
            if previous is not None:
                entities.genes = [previous]
        return {"entities": entities}

    def _gene_from_history(self, history: list[AgentAnswer]) -> LinkedGene | None:
        for past in reversed(history):
            for record in past.provenance.records:
                if record.startswith(("HGNC:", "ENSG")):
                    resolution = self.graph.resolve(record)
                    if resolution.best is not None:
                        best = resolution.best
                        return LinkedGene(mention=best.symbol, symbol=best.symbol, gene_id=best.gene_id,
                                          hgnc_id=best.hgnc_id, reason="official")
        return None

    def _route(self, state: AgentState) -> dict:
        decision = route_question(state["question"], state["entities"], self.chat_model)
        decision = self._follow_up(state, decision)
        if decision.route == "unknown":
            if self.use_llm:  # an open question may still be a query the model can write
                return {"decision": RouteDecision(route="omics_query", args={"question": state["question"]},
                                                  reason=decision.reason + "; trying text-to-Cypher", by="rules")}
            entities = state["entities"]
            if entities.unresolved:  # the question names a gene the graph does not have
                missing = entities.unresolved[0]
                reason = str(GeneNotFound(missing, self.graph.closest_symbols(missing)))
                return {"decision": decision, "error": f"Cannot answer: {reason}"}
            return {"decision": decision, "error": f"Cannot answer: {decision.reason}."}
        return {"decision": decision}

    def _follow_up(self, state: AgentState, decision: RouteDecision) -> RouteDecision:
        """'What about BRCA1?' after a fact question asks the same question of the new gene."""
        history, gene = state.get("history") or [], state["entities"].gene
        if decision.route != "gene_overview" or not history or gene is None or not _FOLLOW_UP.match(state["question"]):
            return decision
        previous = history[-1].route
        if previous in FOLLOW_UP_ROUTES:
            key = "name" if previous == "official_symbol" else "gene"
            return RouteDecision(route=previous, args={key: gene.mention if key == "name" else gene.symbol},
                                 reason=f"follow-up of a {previous} question")
        return decision

    def _tool(self, state: AgentState) -> dict:
        decision = state["decision"]
        try:
            return {"outcome": self.tools[decision.route](decision.args, state)}
        except GeneverseError as err:
            return {"error": f"Cannot answer: {err}"}

    def _verify(self, state: AgentState) -> dict:
        """Phrase fact replies with the model when one is in the loop; check every model-written text."""
        outcome = state["outcome"]
        if self.use_llm and state["decision"].route in FACT_ROUTES and outcome.gene:
            outcome = self._phrase_with_model(state["question"], outcome)
        if outcome.drafted and outcome.gene:
            text, corrections = self._check_draft(outcome.text, outcome.gene)
            outcome = outcome.model_copy(update={"text": text, "corrections": outcome.corrections + corrections})
        return {"outcome": outcome}

    def _check_draft(self, text: str, gene: str) -> tuple[str, list[Correction]]:
        """Model-written text, post-corrected against the graph, then rid of degenerate repetition."""
        checked = correct_text(text, gene, self.graph)
        if not self.tidy_drafts:
            return checked.text, checked.corrections
        tidied, removed = tidy_draft(checked.text)
        return tidied, checked.corrections + removed

    def _phrase_with_model(self, question: str, outcome: ToolOutcome) -> ToolOutcome:
        generator = self.generator()
        draft = generator.generate(f"Facts: {outcome.text}\nQuestion: {question}", system=REPLY_SYSTEM,
                                   max_new_tokens=64).strip()
        if not draft or outcome.answer is None or outcome.answer.lower() not in draft.lower():
            # a reply that lost the graph's answer is not shown; the tool's text stands
            return outcome.model_copy(update={"model": generator.name})
        return outcome.model_copy(update={"text": draft, "drafted": True, "model": generator.name})

    def _answer(self, state: AgentState) -> dict:
        question = state["question"]
        decision = state.get("decision")
        route = decision.route if decision else "unknown"
        if "error" in state:
            tool = decision.route if decision else "router"
            result = AgentAnswer(question=question, answer=None, text=state["error"], route=route,
                                 provenance=Provenance(tool=tool, model=self._model_name()), error=state["error"])
            return {"result": result}
        outcome = state["outcome"]
        result = AgentAnswer(
            question=question, answer=outcome.answer, text=outcome.text, route=route, rows=outcome.rows,
            provenance=Provenance(tool=outcome.tool, records=outcome.records, corrections=outcome.corrections,
                                  model=outcome.model, cypher=outcome.cypher))
        return {"result": result}

    def _model_name(self) -> str | None:
        return self._generator.name if self._generator is not None else None

    # --- tools wrapped for the graph ----------------------------------------------------------------------

    def _enrichment(self, args: dict[str, Any], state: AgentState) -> ToolOutcome:
        terms = go_enrichment(args["genes"], self.graph, aspect=args.get("aspect") or "BP")
        if not terms:
            return ToolOutcome(tool="enrichment.go_enrichment", answer=None, text="No GO term is shared by these genes.")
        top = terms[0]
        listed = "; ".join(f"{t.name} ({t.go_id}, {t.overlap}/{t.query_size} genes, adjusted p={t.p_adjusted:.2g})"
                           for t in terms[:5])
        text = (f"The most enriched GO {top.aspect} term for {', '.join(args['genes'])} is {top.name} ({top.go_id}): "
                f"{top.overlap} of {top.query_size} genes against {top.term_size} of {top.background_size} in the "
                f"annotated background, adjusted p={top.p_adjusted:.2g} (hypergeometric, Benjamini-Hochberg). "
                f"Top terms: {listed}.")
        return ToolOutcome(tool="enrichment.go_enrichment", answer=top.name, text=text,
                           records=[t.go_id for t in terms], rows=[t.model_dump() for t in terms])

    def _omics_query(self, args: dict[str, Any], state: AgentState) -> ToolOutcome:
        llm = self.generator() if self.use_llm else None
        entities = state.get("entities")
        result = run_query(args["question"], self.graph, llm=llm,
                           terms=entities.omics if entities and args["question"] == state["question"] else None)
        if len(result.rows) == 1 and len(result.rows[0]) == 1:
            answer = str(next(iter(result.rows[0].values())))
        else:
            first = next(iter(result.rows[0])) if result.rows else None
            answer = ", ".join(str(r[first]) for r in result.rows[:50]) if first else None
        return ToolOutcome(tool=f"omics_query.{result.path}", answer=answer, text=result.summary, rows=result.rows,
                           cypher=result.cypher, model=result.model,
                           records=[str(r["accession"]) for r in result.rows[:50] if r.get("accession")])

    def _describe_route(self, args: dict[str, Any], state: AgentState) -> ToolOutcome:
        if not self.use_llm:
            return _fact(gene_facts.gene_overview(args["gene"], self.graph), "gene_overview")
        return self._description(args["gene"])

    def _description(self, name: str) -> ToolOutcome:
        gene, _ = gene_facts.lookup(name, self.graph)
        generator = self.generator()
        draft = generator.generate(DESCRIBE_PROMPT.format(symbol=gene.symbol))
        return ToolOutcome(tool="llm.describe", answer=gene.symbol, text=draft, gene=gene.symbol,
                           records=[gene_facts.gene_record_id(gene)], model=generator.name, drafted=True)

    def _tracks(self, args: dict[str, Any], state: AgentState) -> ToolOutcome:
        try:
            from tools.tracks import explain_gene_tracks
        except ImportError as err:
            raise SlotUnavailable(f"track explanation is not installed ({err})") from err
        report = explain_gene_tracks(args["gene"], graph=self.graph)
        return ToolOutcome(tool="tracks.explain_gene_tracks", answer=report.gene, text=report.text,
                           gene=report.gene, records=[r for r in [report.gene] if r])

    def _protein_image(self, args: dict[str, Any], state: AgentState) -> ToolOutcome:
        try:
            from tools.mllm import identify_protein
        except ImportError as err:
            raise SlotUnavailable(f"the protein image model is not installed ({err})") from err
        found = identify_protein(args["image_path"])
        return ToolOutcome(tool="mllm.identify_protein", answer=found.answer, text=found.answer, model=found.model,
                           records=[found.image])

    def _marker_gene(self, args: dict[str, Any], state: AgentState) -> ToolOutcome:
        if not args.get("cell_type"):
            raise SlotUnavailable("name the cell type, e.g. 'Is GATA3 a marker of luminal cells in image.png?'")
        try:
            from tools.mllm import is_marker_gene
        except ImportError as err:
            raise SlotUnavailable(f"the marker-gene image model is not installed ({err})") from err
        found = is_marker_gene(args["image_path"], args["gene"], args["cell_type"])
        return ToolOutcome(tool="mllm.is_marker_gene", answer=found.answer, text=found.answer, model=found.model,
                           records=[found.image], gene=args["gene"])

    def _retrieval(self, args: dict[str, Any], state: AgentState) -> ToolOutcome:
        try:
            from retrieval.index import GeneIndex
        except ImportError as err:
            raise SlotUnavailable(f"retrieval is not installed ({err})") from err
        index = GeneIndex.open()
        if index.count() == 0:
            raise SlotUnavailable("the retrieval index is empty; build it with: geneverse rag build")
        hits = index.search(args["text"], k=5)
        text = "Closest gene documents: " + "; ".join(f"{h.symbol} (score {h.score:.2f})" for h in hits) + "."
        return ToolOutcome(tool="retrieval.search", answer=", ".join(h.symbol for h in hits), text=text,
                           rows=[h.model_dump() for h in hits], records=[h.symbol for h in hits])

    # --- public API ---------------------------------------------------------------------------------------

    def ask(self, question: str, history: list[AgentAnswer] | None = None) -> AgentAnswer:
        question = question.strip()
        if not question:
            return AgentAnswer(question=question, text="Cannot answer: the question is empty.", route="unknown",
                               provenance=Provenance(tool="router"), error="Cannot answer: the question is empty.")
        state = self.workflow.invoke({"question": question, "history": history or []})
        return state["result"]

    def describe(self, symbol: str) -> AgentAnswer:
        """A function description from the language model, post-corrected against the graph and rid of
        degenerate repetition (unless the agent was made with tidy_drafts=False)."""
        question = DESCRIBE_PROMPT.format(symbol=symbol)
        try:
            drafted = self._description(symbol)
        except GeneverseError as err:
            message = f"Cannot answer: {err}"
            return AgentAnswer(question=question, text=message, route="describe", error=message,
                               provenance=Provenance(tool="llm.describe", model=self._model_name()))
        text, corrections = self._check_draft(drafted.text, drafted.gene)
        return AgentAnswer(question=question, answer=drafted.answer, text=text, route="describe",
                           provenance=Provenance(tool="llm.describe", records=drafted.records,
                                                 corrections=corrections, model=drafted.model))
