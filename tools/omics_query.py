"""Natural-language omics questions to read-only Cypher over the gene graph.

Two paths. A deterministic parser turns the assay, target, biosample, cytoband, region and GO term a
question names into a parameterised query; it needs no language model. When it cannot parse a question and
a language model is given, the model writes Cypher from the schema in its prompt; the query is validated
against that schema and retried once with the error. Every query, from either path, is checked for write
and procedure clauses before it runs, and `GeneGraph.query` runs it in a read transaction."""

import re
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from kg.errors import GeneverseError, ReadOnlyViolation
from kg.readonly import check_read_only

# Beyond kg's clause check: procedure and admin namespaces, which a read never needs even as functions.
_PROCEDURE_NAMESPACE = re.compile(r"(?<![.\w$])(?:apoc|db|dbms|gds|tx)\s*\.\s*\w", re.IGNORECASE)
_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


class Schema(BaseModel):
    nodes: dict[str, set[str]] = Field(description="label -> property names")
    relationships: dict[str, set[str]] = Field(description="relationship type -> property names")
    text: str = Field(description="the schema as the graph describes it, for prompts")


class InvalidQuery(GeneverseError):
    """A generated query names labels, relationships or properties the schema does not have."""


class UnparsedQuestion(GeneverseError):
    def __init__(self, question: str):
        super().__init__(
            f"Cannot turn '{question}' into a graph query without a language model: name an assay "
            "(ChIP-seq, DNase-seq, ATAC-seq, CAGE, RNA-seq), a target, a biosample, a cytoband, a region "
            "(chr17:7,661,779-7,687,538) or a GO id, or configure a model.")


class OmicsTerms(BaseModel):
    """The omics vocabulary a question names, linked to values present in the graph."""

    assay: str | None = Field(None, description="'TF ChIP-seq', 'ChIP-seq', 'DNase-seq', 'ATAC-seq', 'CAGE', 'RNA-seq'")
    target: str | None = Field(None, description="experiment target as stored, e.g. 'POLR2A', 'H3K27ac'")
    biosample: str | None = Field(None, description="lower-cased biosample name or its base, e.g. 'hepg2', 'liver'")
    cytoband: str | None = None
    region: tuple[str, int, int] | None = Field(None, description="chromosome without 'chr', start, end")
    go_id: str | None = None
    tracks: bool = Field(False, description="the question is about Enformer output tracks")
    transcription_factors: bool = False


class QueryResult(BaseModel):
    question: str
    cypher: str
    params: dict[str, Any] = {}
    rows: list[dict[str, Any]]
    summary: str
    path: Literal["parser", "llm", "cypher"]
    attempts: int = Field(1, description="queries generated (the LLM path retries once after an error)")
    model: str | None = None


# --- read-only and schema validation ---------------------------------------------------------------------

def _code_only(cypher: str) -> str:
    """The query with comments and string literals blanked and backticks dropped from quoted names."""
    cypher = _COMMENT.sub(" ", cypher)
    cypher = _STRING_LITERAL.sub("''", cypher)
    return cypher.replace("`", "")


def ensure_read_only(cypher: str) -> str:
    """Reject anything but a single read query, before it reaches the database."""
    checked = check_read_only(cypher)
    namespace = _PROCEDURE_NAMESPACE.search(_code_only(cypher))
    if namespace:
        raise ReadOnlyViolation(f"read-only queries may not call {namespace.group(0)}...; the query was not run")
    return checked


@lru_cache(maxsize=4)
def graph_schema(graph) -> Schema:
    """Labels, relationship types and their properties, parsed from the graph's own schema text."""
    text = graph.schema_text()
    nodes: dict[str, set[str]] = {}
    relationships: dict[str, set[str]] = {}
    for label, body in re.findall(r"^\(:(\w+)(?: \{(.*)\})?\)$", text, re.MULTILINE):
        nodes[label] = {field.split()[0] for field in body.split(",") if field.strip()}
    for rel, body in re.findall(r"-\[:(\w+)(?: \{([^}]*)\})?\]->", text):
        relationships.setdefault(rel, set()).update(f.split()[0] for f in body.split(",") if f.strip())
    return Schema(nodes=nodes, relationships=relationships, text=text)


def validate_against_schema(cypher: str, schema: Schema) -> None:
    """Every label, relationship type and property a query uses must exist in the schema."""
    code = _code_only(cypher)
    variables: dict[str, str] = {}
    for var, label in re.findall(r"\(\s*(\w*)\s*:\s*(\w+)", code):
        if label not in schema.nodes:
            raise InvalidQuery(f"Unknown node label :{label}. Labels: {', '.join(schema.nodes)}.")
        if var:
            variables[var] = label
    for var, rel in re.findall(r"\[\s*(\w*)\s*:\s*(\w+)", code):
        if rel not in schema.relationships:
            raise InvalidQuery(f"Unknown relationship type :{rel}. Types: {', '.join(schema.relationships)}.")
        if var:
            variables[var] = f"rel:{rel}"
    for var, prop in re.findall(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)", code):
        owner = variables.get(var)
        if owner is None:
            continue
        allowed = schema.relationships[owner[4:]] if owner.startswith("rel:") else schema.nodes[owner]
        if prop not in allowed:
            raise InvalidQuery(f"{owner.removeprefix('rel:')} has no property '{prop}'. "
                               f"Properties: {', '.join(sorted(allowed)) or 'none'}.")


def execute(cypher: str, graph, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run a query after the read-only and schema checks (the graph adds a read transaction)."""
    cypher = ensure_read_only(cypher)
    validate_against_schema(cypher, graph_schema(graph))
    return graph.query(cypher, params or {})


# --- linking the omics vocabulary ------------------------------------------------------------------------

_ASSAYS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bTF\s+ChIP(?:-?seq)?\b", re.IGNORECASE), "TF ChIP-seq"),
    (re.compile(r"\bChIP(?:-?seq)?\b", re.IGNORECASE), "ChIP-seq"),
    (re.compile(r"\bDNase(?:-?seq|\s*I)?\b|\bDHS\b|\bchromatin accessibility\b", re.IGNORECASE), "DNase-seq"),
    (re.compile(r"\bATAC(?:-?seq)?\b", re.IGNORECASE), "ATAC-seq"),
    (re.compile(r"\bCAGE\b", re.IGNORECASE), "CAGE"),
    (re.compile(r"\bRNA-?seq\b", re.IGNORECASE), "RNA-seq"),
]
TRACK_ASSAY = {"ChIP-seq": "CHIP", "TF ChIP-seq": "CHIP", "DNase-seq": "DNASE", "ATAC-seq": "ATAC", "CAGE": "CAGE"}
_BIOSAMPLE_BASE_END = re.compile(
    r"\s+(?:male|female|originated|genetically|treated|stably|transfected|and|nuclear|cytosolic)\b|\s*[(,]")
CYTOBAND = re.compile(r"(?<![\w.:])(\d{1,2}|X|Y)([pq]\d{1,2}(?:\.\d{1,3})?)(?!\w|\.\d)")
REGION = re.compile(r"\bchr(\w{1,2})\s*:\s*([\d,]+)\s*[-–]\s*([\d,]+)", re.IGNORECASE)
GO_ID = re.compile(r"\bGO:\d{7}\b")


@lru_cache(maxsize=4)
def _vocabulary(graph) -> tuple[dict[str, str], dict[str, str]]:
    """Biosample names and bases (lower-case -> stored form) and targets (lower-case -> stored form)."""
    biosamples: dict[str, str] = {}
    for name in graph.biosamples():
        lowered = name.lower()
        biosamples.setdefault(lowered, lowered)
        base = _BIOSAMPLE_BASE_END.split(lowered, maxsplit=1)[0].strip()
        if len(base) >= 2:
            biosamples.setdefault(base, base)
    targets: dict[str, str] = {}
    for row in graph.query("MATCH (e:Experiment) WHERE e.target IS NOT NULL RETURN DISTINCT e.target AS target"):
        if row["target"]:
            targets[row["target"].lower()] = row["target"]
    for row in graph.query("MATCH (t:Track) WHERE t.target IS NOT NULL RETURN DISTINCT t.target AS target"):
        if row["target"]:
            targets.setdefault(row["target"].lower(), row["target"])
    return biosamples, targets


def _ngrams(words: list[str], longest: int = 8):
    for size in range(min(longest, len(words)), 0, -1):
        for i in range(len(words) - size + 1):
            yield " ".join(words[i:i + size])


def extract_terms(question: str, graph) -> OmicsTerms:
    """Link the assay, target, biosample, cytoband, region and GO id a question names."""
    biosamples, targets = _vocabulary(graph)
    terms = OmicsTerms()
    remaining = question
    for pattern, assay in _ASSAYS:
        m = pattern.search(remaining)
        if m:
            terms.assay = assay
            remaining = remaining[:m.start()] + " " + remaining[m.end():]
            break
    if region := REGION.search(remaining):
        terms.region = (region.group(1).upper().removeprefix("CHR"), int(region.group(2).replace(",", "")),
                        int(region.group(3).replace(",", "")))
        remaining = remaining.replace(region.group(0), " ")
    if band := CYTOBAND.search(remaining):
        terms.cytoband = band.group(0)
    if go := GO_ID.search(remaining):
        terms.go_id = go.group(0)
    words = re.findall(r"[\w\-+.()/]+", remaining)
    cleaned = [w.strip(".,?!()") for w in words]
    for token in cleaned:
        stored = targets.get(token.lower())
        # lower-case words ('max', 'rest') are English, not targets, unless they carry a digit (h3k27ac)
        if stored and (token != token.lower() or any(c.isdigit() for c in token)):
            terms.target = stored
            break
    lowered = [w.lower() for w in cleaned if w]
    for gram in _ngrams(lowered):
        if gram in biosamples and (terms.target is None or gram != terms.target.lower()):
            terms.biosample = biosamples[gram]
            break
    terms.tracks = bool(re.search(r"\btracks?\b|\benformer\b|\bbasenji\b", question, re.IGNORECASE))
    terms.transcription_factors = bool(re.search(r"transcription factors?|\bTFs?\b", question, re.IGNORECASE))
    return terms


# --- the deterministic parser ----------------------------------------------------------------------------

def _assay_condition(assay: str, var: str, params: dict[str, Any]) -> str:
    if assay == "ChIP-seq":
        return f"{var}.assay ENDS WITH 'ChIP-seq'"
    params["assay"] = assay
    return f"{var}.assay = $assay"


def _biosample_condition(var: str, params: dict[str, Any], biosample: str) -> str:
    """Substring match, as the graph API does: 'liver' also finds 'right lobe of liver female adult'."""
    params["biosample"] = biosample
    return f"{var}.biosample_lc CONTAINS $biosample"


def _band_condition(band: str, params: dict[str, Any]) -> str:
    """'17p13.1' matches that band and ranges starting there; '17p13' also its sub-bands 17p13.x."""
    params.update(band=band, band_range=band + "-")
    if "." in band:
        return "(g.cytoband = $band OR g.cytoband STARTS WITH $band_range)"
    params["band_sub"] = band + "."
    return "(g.cytoband = $band OR g.cytoband STARTS WITH $band_range OR g.cytoband STARTS WITH $band_sub)"


def parse_question(question: str, terms: OmicsTerms) -> tuple[str, dict[str, Any], str] | None:
    """Cypher, parameters and result kind for a question, or None when it names nothing queryable."""
    q = question.lower()
    counting = bool(re.search(r"\bhow many\b|\bnumber of\b|\bcount\b", q))
    params: dict[str, Any] = {}
    if terms.tracks:
        conditions = []
        if terms.assay in TRACK_ASSAY:
            params["track_assay"] = TRACK_ASSAY[terms.assay]
            conditions.append("t.assay = $track_assay")
        if terms.target:
            params["target"] = terms.target.lower()
            conditions.append("t.target_lc = $target")
        if terms.biosample:
            conditions.append(_biosample_condition("t", params, terms.biosample))
        if not conditions and re.search(
                r"\btracks?\b.*\b(?:measure|measuring|for|of|in|with|from|that)\s+(?!total\b|all\b)\S", q):
            return None  # it names a filter that linked to nothing: all tracks would be a wrong answer
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        if counting:
            return f"MATCH (t:Track){where} RETURN count(t) AS tracks", params, "count"
        return ((f"MATCH (t:Track){where} RETURN t.`index` AS track, t.identifier AS identifier, t.assay AS assay, "
                f"t.target AS target, t.biosample AS biosample ORDER BY track"), params, "tracks")
    if terms.region and re.search(r"\bgenes?\b", q):
        chrom, start, end = terms.region
        params.update(chromosome=chrom, region_start=start, region_end=end)
        return (("MATCH (g:Gene) WHERE g.chromosome = $chromosome AND g.start <= $region_end AND g.`end` >= $region_start "
                "RETURN g.symbol AS symbol, g.name AS name, g.cytoband AS cytoband, g.start AS start, g.`end` AS `end` "
                "ORDER BY start"), params, "genes")
    if terms.cytoband and re.search(r"\bgenes?\b", q) and not terms.assay:
        return ("MATCH (g:Gene) WHERE " + _band_condition(terms.cytoband, params) +
                " RETURN g.symbol AS symbol, g.name AS name, g.cytoband AS cytoband, g.start AS start "
                "ORDER BY start", params, "genes")
    if terms.go_id and re.search(r"\bgenes?\b", q):
        params["go_id"] = terms.go_id
        return (("MATCH (g:Gene)-[:ANNOTATED_WITH]->(t:GoTerm) WHERE t.go_id = $go_id "
                "RETURN DISTINCT g.symbol AS symbol, g.name AS name ORDER BY symbol"), params, "genes")
    if not (terms.assay or terms.target or terms.biosample) or not re.search(
            r"experiment|biosample|cell|tissue|sample|target|factor|profiled|assay|chip|dnase|atac|cage|rna-seq",
            q, re.IGNORECASE):
        return None
    conditions = []
    if terms.assay:
        conditions.append(_assay_condition(terms.assay, "e", params))
    if terms.target:
        params["target"] = terms.target.lower()
        conditions.append("e.target_lc = $target")
    if terms.biosample:
        conditions.append(_biosample_condition("e", params, terms.biosample))
    if terms.transcription_factors:
        conditions.append("e.target IS NOT NULL AND NOT e.target_lc =~ 'h[1-4][a-z0-9]*k[0-9].*|h2a.*|h2b.*'")
    where = " WHERE " + " AND ".join(conditions)
    asks_for = re.search(r"\b(?:which|what|list)\s+(?:\w+\s+){0,2}?(biosamples?|cells?(?: lines?| types?)?|tissues?|"
                         r"samples?|targets?|transcription factors?|tfs?|factors?|assays?|experiments?)\b", q)
    subject = asks_for.group(1) if asks_for else ("experiment" if counting else "experiments")
    if subject.startswith(("biosample", "cell", "tissue", "sample")):
        column, kind = "e.biosample", "biosamples"
    elif subject.startswith(("target", "transcription", "tf", "factor")):
        column, kind = "e.target", "targets"
    elif subject.startswith("assay"):
        column, kind = "e.assay", "assays"
    else:
        column, kind = None, "experiments"
    if counting and column is None:
        return f"MATCH (e:Experiment){where} RETURN count(e) AS experiments", params, "count"
    if counting:
        return f"MATCH (e:Experiment){where} RETURN count(DISTINCT {column}) AS {kind}", params, "count"
    if column is None:
        return ((f"MATCH (e:Experiment){where} RETURN e.accession AS accession, e.assay AS assay, "
                f"e.target AS target, e.biosample AS biosample ORDER BY accession"), params, "experiments")
    alias = kind[:-1]
    return ((f"MATCH (e:Experiment){where} RETURN {column} AS {alias}, count(e) AS experiments "
            f"ORDER BY experiments DESC, {alias}"), params, kind)


def summarise(kind: str, rows: list[dict[str, Any]], shown: int = 15) -> str:
    """One plain sentence over the rows, deterministic."""
    if not rows:
        return "No matching records in the graph."
    if kind == "count" or (len(rows) == 1 and len(rows[0]) == 1):
        (label, value), = rows[0].items()
        return f"{value} {label.replace('_', ' ')}."
    first_column = next(iter(rows[0]))
    values = [str(r[first_column]) for r in rows[:shown]]
    more = f" and {len(rows) - shown} more" if len(rows) > shown else ""
    noun = kind if kind in {"biosamples", "targets", "assays", "genes", "experiments", "tracks"} else "rows"
    return f"{len(rows)} {noun}: {', '.join(values)}{more}."


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
    r"^\s*(?:/\*.*?\*/\s*)*(?P<keyword>OPTIONAL\s+MATCH|MATCH|WITH|UNWIND|RETURN|CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|CALL|LOAD|COPY|"
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
        return QueryResult(question=question, cypher=cypher, rows=rows, summary=summarise("rows", rows),
                           path="llm", attempts=attempt, model=getattr(llm, "name", None))
    raise InvalidQuery(f"The language model did not produce a valid query after a retry: {error}")


def run_query(question: str, graph, llm=None, terms: OmicsTerms | None = None) -> QueryResult:
    """Answer an omics question with a read-only query: the parser first, the language model if given."""
    if looks_like_cypher(question):  # Cypher typed by the user is held to the same checks as generated Cypher
        rows = execute(question, graph)
        return QueryResult(question=question, cypher=question.strip(), rows=rows, summary=summarise("rows", rows),
                           path="cypher")
    terms = terms or extract_terms(question, graph)
    parsed = parse_question(question, terms)
    if parsed is not None:
        cypher, params, kind = parsed
        rows = execute(cypher, graph, params)
        return QueryResult(question=question, cypher=cypher, params=params, rows=rows,
                           summary=summarise(kind, rows), path="parser")
    if llm is None:
        raise UnparsedQuestion(question)
    return _llm_query(question, graph, llm)


def looks_like_cypher(text: str) -> bool:
    """True when the text is a Cypher statement, read or write: it opens with a clause written in capitals
    ('CHECKPOINT', 'DROP TABLE Gene') or with any clause followed by a pattern ('match (n) delete n'), so
    'Show me the tracks' and 'Return the genes in 17p13' stay questions."""
    opening = _CLAUSE_LINE.match(text.strip())
    if opening is None:
        return False
    return opening.group("keyword").isupper() or bool(re.search(r"[({]", text))
