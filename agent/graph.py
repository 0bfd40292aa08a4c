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
from agent.entities import masked as masked_genes
from agent.intent import intent_model
from agent.mentions import respell
from agent.parse import CONFIDENT, ParsedPlan, known_words, parse
from agent.router import CAPABILITIES, RouteDecision, fixed_route, llm_route, understood
from kg.errors import GeneNotFound, GeneverseError, ReadOnlyViolation
from tools import gene_facts
from tools.correction import correct_text, tidy_draft
from tools.describe import describe_gene
from tools.llm import DESCRIBE_PROMPT, LLMConfig, load_llm
from tools.omics_query import QueryResult, UnparsedQuestion, looks_like_cypher, run_query
from tools.query.builder import Page
from tools.query.guard import write_request
from tools.query.plan import DECLINE_WORDS, Plan
from tools.registry import REGISTRY, SlotUnavailable, ToolContext, ToolOutcome, tool_for

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
    read: str  # the question as the parser reads it: misspelt words put right
    parsed: ParsedPlan
    decision: RouteDecision
    outcome: ToolOutcome
    error: str
    refused: bool
    result: AgentAnswer


REPLY_SYSTEM = ("You answer questions about human genes in one or two sentences, using only the facts given. "
                "Do not add facts that are not given.")
_FOLLOW_UP = re.compile(r"^\s*(?:and|what about|how about|same for|and for)\b", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(?:it|its|this gene|that gene|the gene|the same gene|they|their)\b", re.IGNORECASE)


class GeneverseAgent:
    """Loads the graph and (optionally) a language model once; answers questions through a StateGraph.
    `generator` is the text model to use (loaded from `llm_config` on first use when not given)."""

    def __init__(self, graph, llm_config: LLMConfig | None = None, use_llm: bool = False, tidy_drafts: bool = True,
                 generator=None, model_parser=None):
        self.graph = graph
        self.llm_config = llm_config or LLMConfig.from_env()
        self.use_llm = use_llm
        self.tidy_drafts = tidy_drafts
        self._generator = generator
        self.model_parser = model_parser  # the fine-tuned semantic parser, asked when the rules are unsure
        self.chat_model = None
        if use_llm:
            self.chat_model = self.generator().chat_model()
        self.workflow = self._build()

    @classmethod
    def from_env(cls, llm: LLMConfig | None = None, use_llm: bool = False, graph=None) -> "GeneverseAgent":
        """The agent on the configured graph, with the packaged semantic parser (loaded on first need)."""
        from agent.model_parser import ModelParser

        if graph is None:
            from kg.graph import open_graph

            graph = open_graph()
        return cls(graph, llm_config=llm, use_llm=use_llm, model_parser=ModelParser.packaged())

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
        question = respell(state["question"], known_words(self.graph))
        entities = link_entities(question, self.graph)
        if not entities.genes and (pronoun := _PRONOUN.search(question)):
            previous = self._gene_from_history(state.get("history") or [])
            if previous is not None:  # 'Where is it located?': the gene of the conversation, where 'it' stands
                entities.genes = [previous.model_copy(update={"span": pronoun.span()})]
        return {"entities": entities, "read": question}

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

    # --- understanding: question -> typed plan ------------------------------------------------------------

    def understand(self, question: str, entities: LinkedEntities | None = None) -> ParsedPlan:
        """The question's typed plan: the rules' when they are confident, else the model parser's if it
        validates and runs, else the rules' best reading with what was not understood. `entities` are the
        question's, already linked (with misspelt words put right)."""
        if entities is None:
            question = respell(question, known_words(self.graph))
            entities = link_entities(question, self.graph)
        parsed = parse(question, entities, self.graph,
                       routes=lambda: intent_model().scores(masked_genes(question, entities)))
        if parsed.confidence >= CONFIDENT or self.model_parser is None or (parsed.plan and parsed.plan.op == "decline"):
            return parsed
        proposed = self.model_parser.parse(question, self.graph)
        if proposed.plan is not None:
            return proposed.model_copy(update={"reason": f"{proposed.reason}; the rules were unsure ({parsed.reason})"})
        return parsed

    def plan_of(self, question: str) -> Plan | None:
        """The plan a question reads as, for tools that take questions (the omics query tool)."""
        parsed = self.understand(question)
        return parsed.plan if parsed.confidence >= CONFIDENT or parsed.parser == "model" else None

    def _route(self, state: AgentState) -> dict:
        if "describe" in state:
            request = state["describe"]
            return {"decision": RouteDecision(route="describe", args={"gene": request.symbol},
                                              reason="a description was asked for")}
        question, entities = state["read"], state["entities"]
        if (decision := fixed_route(state["question"], entities)) is not None:
            return {"decision": decision}
        if self.chat_model is not None and (decision := llm_route(question, entities, self.chat_model)):
            return {"decision": decision}
        parsed = self._follow_up(state, self.understand(question, entities))
        plan = parsed.plan
        if plan is not None and plan.op == "decline":
            decision = RouteDecision(route="unknown", reason=parsed.reason, by=parsed.parser, plan=plan.model_dump(
                exclude_defaults=True), confidence=parsed.confidence)
            refused = plan.decline == "write"
            text = ("the graph is read-only: a request to change it is refused, and nothing was changed" if refused
                    else f"{parsed.reason or DECLINE_WORDS[plan.decline]}.")
            return {"decision": decision, "parsed": parsed, "refused": refused, "error": f"Cannot answer: {text}"}
        if plan is None or (parsed.confidence < CONFIDENT and parsed.parser == "rules"):
            return {"decision": RouteDecision(route="unknown", reason=parsed.reason, by=parsed.parser,
                                              confidence=parsed.confidence),
                    "parsed": parsed, "error": f"Cannot answer: {self._not_understood(entities, parsed)}"}
        tool, args = tool_for(plan)
        return {"parsed": parsed, "decision": RouteDecision(
            route=tool.route, args=args, by=parsed.parser, confidence=parsed.confidence, reason=parsed.reason,
            plan=plan.model_dump(exclude_defaults=True, mode="json"))}

    def _not_understood(self, entities: LinkedEntities, parsed: ParsedPlan) -> str:
        if entities.unresolved and not entities.genes:  # the question names a gene the graph does not have
            missing = entities.unresolved[0]
            return str(GeneNotFound(missing, self.graph.closest_symbols(missing)))
        linked = understood(entities)
        said = f"understood {linked}, but not all of the question" if linked else \
            "no gene, identifier or omics term recognised"
        return f"{said} ({parsed.reason}). {CAPABILITIES}"

    def _follow_up(self, state: AgentState, parsed: ParsedPlan) -> ParsedPlan:
        """'What about BRCA1?' after a question about one gene asks the same of the new gene."""
        history, gene = state.get("history") or [], state["entities"].gene
        if not history or gene is None or not _FOLLOW_UP.match(state["question"]) or len(state["entities"].genes) != 1:
            return parsed
        previous = history[-1].provenance.plan
        if not previous or len(previous.get("names", [])) != 1:
            return parsed
        plan = Plan.model_validate(previous | {"names": [gene.mention]})
        return ParsedPlan(plan=plan, parser=parsed.parser, confidence=max(parsed.confidence, CONFIDENT),
                          reason=f"follow-up of the previous {plan.op} question")

    def _context(self, state: AgentState) -> ToolContext:
        request = state.get("describe")
        describe = (partial(self._description, draft=request.draft, grounded=request.grounded) if request
                    else partial(self._description, draft=self.use_llm))
        return ToolContext(graph=self.graph, llm=self.generator() if self.use_llm else None, describe=describe,
                           plan_of=self.plan_of, question=state["question"])

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
                                 provenance=Provenance(tool=tool, model=self._model_name(),
                                                       plan=decision.plan if decision else None,
                                                       parser=decision.by if decision else None,
                                                       confidence=decision.confidence if decision else None),
                                 error=state["error"], refused=state.get("refused", False))
            return {"result": result}
        outcome = state["outcome"]
        parsed = state.get("parsed")
        result = AgentAnswer(
            question=question, answer=outcome.answer, text=outcome.text, route=route, rows=outcome.rows,
            rows_total=outcome.rows_total if outcome.rows_total is not None else
            (len(outcome.rows) if outcome.rows is not None else None),
            provenance=Provenance(tool=outcome.tool, records=outcome.records, corrections=outcome.corrections,
                                  model=outcome.model, cypher=outcome.cypher, plan=decision.plan if decision else None,
                                  parser=decision.by if decision else None,
                                  confidence=decision.confidence if decision else None,
                                  understood=parsed.reason if parsed else None))
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

    def query(self, question: str, page: Page = Page()) -> QueryResult:
        """A question as one read-only query (the `query` command, HTTP /query, MCP query): Cypher as typed,
        else the question's plan, else the language model's Cypher when one is in the loop. Lists hold the
        rows of `page`."""
        question = question.strip()
        llm = self.generator() if self.use_llm else None
        if looks_like_cypher(question) or write_request(question):  # run as typed, or refused as a write
            return run_query(question, self.graph, llm=llm, page=page)
        parsed = self.understand(question)
        plan = parsed.plan if parsed.plan is not None and (
            parsed.confidence >= CONFIDENT or parsed.parser == "model" or parsed.plan.op == "decline") else None
        if plan is not None and plan.op == "tool":
            raise UnparsedQuestion(question, f"it asks for {plan.tool}, which is not a graph query (use ask)")
        if plan is not None and plan.op == "decline" and plan.decline != "write":
            raise UnparsedQuestion(question, parsed.reason)
        if plan is None and llm is None:
            raise UnparsedQuestion(question, parsed.reason)
        return run_query(question, self.graph, llm=llm, plan=plan, page=page)

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
