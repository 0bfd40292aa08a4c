"""Questions to read-only Cypher over the gene graph.

Three paths. A question's typed plan (read by the agent's parsers) compiles to one parameterised query
(`tools.query.builder`) and is answered with exactly what it asked (`tools.query.answer`); Cypher a user types
runs as given; when there is no plan and a language model is given, the model writes Cypher from the schema in
its prompt, validated against that schema and retried once with the error. Every query, from any path, passes
the read-only guard (`tools.query.guard`) before it runs, and `GeneGraph.query` runs it in a read
transaction."""

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from kg.errors import GeneverseError, ReadOnlyViolation, shorten
from tools.query.answer import run_plan
from tools.query.builder import Page, summarise
from tools.query.guard import InvalidQuery, execute, graph_schema, write_request
from tools.query.plan import DECLINE_WORDS, Plan


class UnparsedQuestion(GeneverseError):
    def __init__(self, question: str, reason: str = ""):
        super().__init__(
            f"Cannot turn '{shorten(question)}' into a graph query{': ' + reason if reason else ''}. Ask about "
            "genes, conditions, GO terms, gene groups, cell types, experiments, tracks, chromosomes, bands or "
            "regions (what they are, lists, counts, comparisons, top-N, neighbourhoods), or type read-only Cypher.")


class QueryResult(BaseModel):
    question: str
    cypher: str
    params: dict[str, Any] = {}
    rows: list[dict[str, Any]]
    summary: str
    path: Literal["plan", "llm", "cypher"]
    attempts: int = Field(1, description="queries generated (the LLM path retries once after an error)")
    model: str | None = None
    answer: str | None = Field(None, description="the short answer, of the kind the plan asked for")
    total: int | None = Field(None, description="rows there are in all; `rows` holds the first of them")
    plan: dict[str, Any] | None = Field(None, description="the typed question plan that ran")
    records: list[str] = []
    more: bool = Field(False, description="typed Cypher had more rows than were read")


# --- the language-model path ------------------------------------------------------------------------------

CYPHER_SYSTEM = """You translate questions into one read-only Cypher query over this graph schema.
{schema}
Rules: only MATCH, OPTIONAL MATCH, WITH, UNWIND, WHERE, RETURN, ORDER BY, LIMIT. Never CREATE, MERGE, DELETE, SET,
REMOVE, DROP or CALL. Return properties with explicit aliases, never whole nodes. Lower-case *_lc properties hold
lower-cased values. Answer with the query only, inside ```cypher fences.
Example: Which biosamples have CTCF ChIP-seq?
```cypher
MATCH (e:Experiment) WHERE e.target_lc = 'ctcf' AND e.assay ENDS WITH 'ChIP-seq' RETURN DISTINCT e.biosample AS biosample
```"""

_FENCED = re.compile(r"```(?:cypher)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
_CLAUSE_LINE = re.compile(
    r"^\s*(?:/\*.*?\*/\s*|//[^\n]*\n\s*)*(?:(?:PROFILE|EXPLAIN)\s+)?(?P<keyword>OPTIONAL\s+MATCH|MATCH|WITH|UNWIND|RETURN|CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|CALL|LOAD|COPY|"
    r"FOREACH|ALTER|INSTALL|ATTACH|EXPORT|IMPORT|CHECKPOINT|USE|SHOW|GRANT|REVOKE|BEGIN|COMMIT)\b",
    re.IGNORECASE | re.MULTILINE)


def extract_cypher(generated: str) -> str | None:
    """The query in a model reply: a fenced block, else the text from the first line that opens with a clause
    (whatever the clause: a write is kept whole so the read-only check sees it). None when there is none."""
    fenced = _FENCED.search(generated)
    if fenced:
        return fenced.group(1).strip().rstrip(";").strip() or None
    opening = _CLAUSE_LINE.search(generated)
    return generated[opening.start():].strip().rstrip(";").strip() if opening else None


def _llm_query(question: str, graph, llm) -> QueryResult:
    system = CYPHER_SYSTEM.format(schema=graph_schema(graph).text)
    prompt = f"Question: {question}"
    error: GeneverseError | None = None
    for attempt in (1, 2):
        cypher = extract_cypher(llm.generate(prompt, system=system, max_new_tokens=160))
        try:
            if cypher is None:
                raise InvalidQuery("the reply holds no Cypher query")
            rows = execute(cypher, graph)
        except ReadOnlyViolation:
            raise  # a write attempt is never retried into something else
        except Exception as err:  # noqa: BLE001 - any backend error on model Cypher earns one retry
            error = err if isinstance(err, GeneverseError) else InvalidQuery(str(err).splitlines()[0])
            prompt = (f"Question: {question}\nYour previous query:\n{cypher}\nfailed with: {error}\n"
                      "Write a corrected query.")
            continue
        return QueryResult(question=question, cypher=cypher, rows=rows, summary=summarise(rows),
                           path="llm", attempts=attempt, model=getattr(llm, "name", None))
    raise InvalidQuery(f"The language model did not produce a valid query after a retry: {error}")


# A clause that acts, anywhere in the text ('... Then DETACH DELETE n', "CREATE (:Gene {gene_id: 'P7'})"): the
# clause word in capitals before a pattern, a variable, a property or the end, or in any case before a pattern.
_ACTING_CLAUSE = re.compile(
    r"\b(?:CREATE|MERGE|DELETE|DETACH|REMOVE|DROP|FOREACH|LOAD|COPY|EXPORT|IMPORT|CHECKPOINT|INSTALL|ATTACH|CALL)\b"
    r"(?=\s*[(\[{:`;]|\s*$|\s+[a-z_]\w*\s*[.:,)=]|(?<=DELETE)\s+[a-z_]\w*\s*$|\s+\w+\s+(?:TO|FROM|AS)\b|"
    r"\s+(?:DELETE|TABLE|FROM|DATABASE|CSV|EXTENSION|NODE|REL)\b)"
    r"|\b(?:create|merge|delete|remove|foreach)\s*\(|\bdetach\s+delete\b|\bSET\s+[a-z_]\w*\s*[.:=]")


def looks_like_cypher(text: str) -> bool:
    """True when the text is a Cypher statement, read or write: it opens with a clause written in capitals
    ('CHECKPOINT', 'PROFILE MATCH ...', after comments too) or with any clause followed by a pattern ('match (n)
    delete n'), or it holds a clause that acts anywhere; so 'Show me the tracks' and 'Return the genes in
    17p13' stay questions, and a write hidden after a question is refused, never read around."""
    if _ACTING_CLAUSE.search(text):
        return True
    opening = _CLAUSE_LINE.match(text.strip())
    if opening is None:
        return False
    return opening.group("keyword").isupper() or bool(re.search(r"[({]", text))


def run_query(question: str, graph, llm=None, plan: Plan | None = None, page: Page = Page()) -> QueryResult:
    """Answer a question with a read-only query: Cypher as typed, else the question's plan, else the language
    model if one is given. `plan` is the question read by the agent's parsers; a list holds the rows of `page`
    (typed Cypher is read only that far, so a huge result never fills memory)."""
    if looks_like_cypher(question):  # Cypher typed by the user is held to the same checks as generated Cypher
        end = page.offset + page.size
        rows = execute(question, graph, max_rows=end + 1)
        total = len(rows) if len(rows) <= end else None  # past the page the rows were never read
        shown = rows[page.offset:end]
        summary = summarise(shown) + ("" if total is not None else f" More rows follow row {end:,}.")
        return QueryResult(question=question, cypher=question.strip(), rows=shown, summary=summary,
                           path="cypher", total=total, more=total is None)
    if verb := write_request(question):
        raise ReadOnlyViolation(f"the graph is read-only: a request to {verb} records is refused, and nothing "
                                "was changed")
    if plan is not None and plan.op == "decline":
        if plan.decline == "write":
            raise ReadOnlyViolation("the graph is read-only: a request to change it is refused, and nothing was changed")
        raise UnparsedQuestion(question, DECLINE_WORDS[plan.decline])
    if plan is not None and plan.op != "tool":
        result = run_plan(plan, graph, page)
        return QueryResult(question=question, cypher=result.cypher or "", params=result.params, rows=result.rows,
                           summary=result.text, path="plan", answer=result.answer, total=result.total,
                           plan=result.plan, records=result.records)
    if llm is None:
        raise UnparsedQuestion(question, "it is not a graph question" if plan is not None else "")
    return _llm_query(question, graph, llm)
