"""The Geneverse agent: a LangGraph StateGraph that understands a question (links its entities to graph
records), routes it to a tool of the registry, lets a language model phrase fact replies when one is in the
loop, verifies and post-corrects model text against the graph, and answers with provenance. Anything it
cannot answer from a tool ends in an honest "cannot answer" with the reason."""

import re
from functools import partial
from typing import Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel

from agent.answer import AgentAnswer, Correction, Provenance
from agent.entities import LinkedEntities, LinkedGene, link_entities
from agent.router import RouteDecision, route_question
from kg.errors import GeneNotFound, GeneverseError, ReadOnlyViolation
from tools import gene_facts
from tools.correction import correct_text, tidy_draft
from tools.describe import describe_gene
from tools.llm import DESCRIBE_PROMPT, LLMConfig, load_llm
from tools.registry import REGISTRY, SlotUnavailable, ToolContext, ToolOutcome

__all__ = ["AgentState", "GeneverseAgent", "SlotUnavailable", "ToolOutcome"]


class DescribeRequest(BaseModel):
    """`GeneverseAgent.describe` asks the graph for one gene's description, with these options."""
    symbol: str
    draft: bool = True
    grounded: bool = True


class AgentState(TypedDict, total=False):
    question: str
    history: list[AgentAnswer]
    describe: DescribeRequest
    entities: LinkedEntities
    decision: RouteDecision
    outcome: ToolOutcome
    error: str
    refused: bool
    result: AgentAnswer


REPLY_SYSTEM = ("You answer questions about human genes in one or two sentences, using only the facts given. "
                "Do not add facts that are not given.")
FOLLOW_UP_ROUTES = {"official_symbol", "chromosome", "cytoband", "protein_coding", "diseases_of_gene", "go_terms",
                    "describe"}
_FOLLOW_UP = re.compile(r"^\s*(?:and|what about|how about)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:it|its|this gene|that gene|the gene|the same gene|they|their)\b", re.IGNORECASE)


class GeneverseAgent:
    """Loads the graph and (optionally) a language model once; answers questions through a StateGraph.
    `generator` is the text model to use (loaded from `llm_config` on first use when not given)."""

    def __init__(self, graph, llm_config: LLMConfig | None = None, use_llm: bool = False, tidy_drafts: bool = True,
                 generator=None):
        self.graph = graph
        self.llm_config = llm_config or LLMConfig.from_env()
        self.use_llm = use_llm
        self.tidy_drafts = tidy_drafts
        self._generator = generator
        self.chat_model = None
        if use_llm:
            self.chat_model = self.generator().chat_model()
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
        workflow.add_node("phrase", self._phrase)
        workflow.add_node("verify", self._verify)
        workflow.add_node("answer", self._answer)
        workflow.add_edge(START, "understand")
        workflow.add_edge("understand", "route")
        workflow.add_conditional_edges("route", self._after_route, {"tool": "tool", "cannot_answer": "answer"})
        workflow.add_conditional_edges("tool", self._after_tool,
                                       {"phrase": "phrase", "verify": "verify", "cannot_answer": "answer"})
        workflow.add_edge("phrase", "verify")
        workflow.add_edge("verify", "answer")
        workflow.add_edge("answer", END)
        return workflow.compile()

    @staticmethod
    def _after_route(state: AgentState) -> Literal["tool", "cannot_answer"]:
        return "cannot_answer" if "error" in state else "tool"

    def _after_tool(self, state: AgentState) -> Literal["phrase", "verify", "cannot_answer"]:
        """Fact replies go to the model for phrasing when one is in the loop; everything else to the checks."""
        if "error" in state:
            return "cannot_answer"
        phrased = REGISTRY[state["decision"].route].phrased
        return "phrase" if self.use_llm and phrased and state["outcome"].gene else "verify"

    def _understand(self, state: AgentState) -> dict:
        if "describe" in state:  # the gene is named by the caller, not found in text
            return {"entities": LinkedEntities()}
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
                if record.startswith(("HGNC:", "ENSG", "NCBIGene:")):
                    resolution = self.graph.resolve(record)
                    if resolution.best is not None:
                        best = resolution.best
                        return LinkedGene(mention=best.symbol, symbol=best.symbol, gene_id=best.gene_id,
                                          hgnc_id=best.hgnc_id, reason="official")
        return None

    def _route(self, state: AgentState) -> dict:
        if "describe" in state:
            request = state["describe"]
            return {"decision": RouteDecision(route="describe", args={"gene": request.symbol},
                                              reason="a description was asked for")}
        decision = route_question(state["question"], state["entities"], self.chat_model)
        decision = self._follow_up(state, decision)
        if decision.route == "unknown":
            if self.use_llm:  # an open question may still be a query the model can write
                return {"decision": RouteDecision(route="omics_query", args={"question": state["question"]},
                                                  reason=decision.reason + "; trying text-to-Cypher", by="rules")}
            entities = state["entities"]
            if entities.unresolved and not entities.genes:  # the question names a gene the graph does not have
                missing = entities.unresolved[0]
                reason = str(GeneNotFound(missing, self.graph.closest_symbols(missing)))
                return {"decision": decision, "error": f"Cannot answer: {reason}"}
            return {"decision": decision, "error": f"Cannot answer: {decision.reason}"}
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

    def _context(self, state: AgentState) -> ToolContext:
        entities = state.get("entities")
        request = state.get("describe")
        describe = (partial(self._description, draft=request.draft, grounded=request.grounded) if request
                    else partial(self._description, draft=self.use_llm))
        return ToolContext(graph=self.graph, llm=self.generator() if self.use_llm else None, describe=describe,
                           terms=entities.omics if entities else None, disease=entities.disease if entities else None,
                           question=state["question"])

    def _tool(self, state: AgentState) -> dict:
        decision = state["decision"]
        try:
            return {"outcome": REGISTRY[decision.route](decision.args, self._context(state))}
        except ReadOnlyViolation as err:
            return {"error": f"Cannot answer: {err}", "refused": True}
        except GeneverseError as err:
            return {"error": f"Cannot answer: {err}"}

    def _phrase(self, state: AgentState) -> dict:
        """The model words a fact reply from the tool's facts; a reply that lost the graph's answer is dropped."""
        outcome = state["outcome"]
        generator = self.generator()
        draft = generator.generate(f"Facts: {outcome.text}\nQuestion: {state['question']}", system=REPLY_SYSTEM,
                                   max_new_tokens=64).strip()
        if not draft or outcome.answer is None or outcome.answer.lower() not in draft.lower():
            return {"outcome": outcome.model_copy(update={"model": generator.name})}
        return {"outcome": outcome.model_copy(update={"text": draft, "drafted": True, "model": generator.name})}

    def _verify(self, state: AgentState) -> dict:
        """Every model-written text is post-corrected against the graph and rid of degenerate repetition."""
        outcome = state["outcome"]
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

    def _answer(self, state: AgentState) -> dict:
        question = state["question"]
        decision = state.get("decision")
        route = decision.route if decision else "unknown"
        if "error" in state:
            tool = "describe.describe_gene" if "describe" in state else route
            result = AgentAnswer(question=question, answer=None, text=state["error"], route=route,
                                 provenance=Provenance(tool=tool, model=self._model_name()), error=state["error"],
                                 refused=state.get("refused", False))
            return {"result": result}
        outcome = state["outcome"]
        result = AgentAnswer(
            question=question, answer=outcome.answer, text=outcome.text, route=route, rows=outcome.rows,
            provenance=Provenance(tool=outcome.tool, records=outcome.records, corrections=outcome.corrections,
                                  model=outcome.model, cypher=outcome.cypher))
        return {"result": result}

    def _model_name(self) -> str | None:
        return self._generator.name if self._generator is not None else None

    # --- descriptions -------------------------------------------------------------------------------------

    def _description(self, name: str, draft: bool = True, grounded: bool = True) -> ToolOutcome:
        """A function description, already checked. Grounded: the model drafts from the gene's facts packet and
        every sentence is checked against it (without a draft, the deterministic composition from the packet).
        Ungrounded (the paper's setting): the model drafts from the symbol alone and the graph corrects it."""
        if grounded:
            generator = self.generator() if draft else None
            described = describe_gene(name, self.graph, generator)
            return ToolOutcome(tool="describe.describe_gene", answer=described.symbol, text=described.text,
                               gene=described.symbol, records=described.records, corrections=described.corrections,
                               model=generator.name if generator else None)
        gene, _ = gene_facts.lookup(name, self.graph)
        generator = self.generator()
        text, corrections = self._check_draft(generator.generate(DESCRIBE_PROMPT.format(symbol=gene.symbol)),
                                              gene.symbol)
        return ToolOutcome(tool="llm.describe", answer=gene.symbol, text=text, gene=gene.symbol,
                           records=[gene_facts.gene_record_id(gene)], model=generator.name, corrections=corrections)

    # --- public API ---------------------------------------------------------------------------------------

    def ask(self, question: str, history: list[AgentAnswer] | None = None) -> AgentAnswer:
        question = question.strip()
        if not question:
            return AgentAnswer(question=question, text="Cannot answer: the question is empty.", route="unknown",
                               provenance=Provenance(tool="router"), error="Cannot answer: the question is empty.")
        state = self.workflow.invoke({"question": question, "history": history or []})
        return state["result"]

    def describe(self, symbol: str, draft: bool = True, grounded: bool = True) -> AgentAnswer:
        """A function description (see `_description`) through the same graph as `ask`; every replacement,
        removal and added fact sentence is in the provenance. Ungrounded drafts lose degenerate repetition
        unless the agent was made with tidy_drafts=False."""
        request = DescribeRequest(symbol=symbol, draft=draft, grounded=grounded)
        state = self.workflow.invoke({"question": DESCRIBE_PROMPT.format(symbol=symbol), "history": [],
                                      "describe": request})
        return state["result"]
