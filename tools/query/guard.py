"""The checks every query passes before it runs: read-only (the one guard in `kg.readonly`) and the graph's
own schema (labels, relationship types, properties)."""

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field

from kg.errors import GeneverseError
from kg.readonly import check_read_only, normalise

_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


class Schema(BaseModel):
    nodes: dict[str, set[str]] = Field(description="label -> property names")
    relationships: dict[str, set[str]] = Field(description="relationship type -> property names")
    text: str = Field(description="the schema as the graph describes it, for prompts")


class InvalidQuery(GeneverseError):
    """A query names labels, relationships or properties the schema does not have."""


def ensure_read_only(cypher: str) -> str:
    """Reject anything but a single read query, before it reaches the database."""
    return check_read_only(cypher)


def _code_only(cypher: str) -> str:
    """The query with comments and string literals blanked and backticks dropped from quoted names."""
    cypher = _COMMENT.sub(" ", cypher)
    cypher = _STRING_LITERAL.sub("''", cypher)
    return cypher.replace("`", "")


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


def execute(cypher: str, graph, params: dict[str, Any] | None = None,
            max_rows: int | None = None) -> list[dict[str, Any]]:
    """Run a query after the read-only and schema checks (the graph adds a read transaction); with `max_rows`
    only the first rows are read."""
    cypher = ensure_read_only(cypher)
    validate_against_schema(cypher, graph_schema(graph))
    return graph.query(cypher, params or {}, max_rows=max_rows)


# A request to change graph records in plain words: a verb that only ever writes opening the request (after a
# polite lead-in), or any writing verb aimed at records of the graph ('add a new biosample', 'change the symbol').
# 'Create a list of ...' and 'Add up ...' stay reads.
_WRITE_VERBS = (r"delete|remove|drop|erase|wipe|purge|add|insert|create|update|modify|change|rename|set(?!\s+of\b)|replace|"
                r"overwrite|merge|edit|store|save|upload|clear|truncate|destroy|import|load")
_ONLY_WRITES = (r"delete|remove|drop|erase|wipe|purge|insert|rename|overwrite|truncate|destroy|forget|"
                r"set(?!\s+of\b)|update(?!\s+me\b)")
_POLITE = r"(?:please|kindly|now|go ahead and|can you|could you|would you|will you|i want to|i'd like to|let's|let us)"
# a write may open the question or any later sentence of it ('Which biosamples have POLR2A ChIP-seq? Then delete
# them.')
_WRITE_OPENING = re.compile(rf"(?:^|[.?!;]\s*|\b(?:then|and then|also|afterwards)\s+)\s*(?:{_POLITE}\s+){{0,3}}"
                            rf"({_ONLY_WRITES})\b", re.IGNORECASE)
_RECORDS = (r"genes?|tracks?|experiments?|biosamples?|samples?|nodes?|records?|edges?|relationships?|entries|entry|"
            r"annotations?|diseases?|terms?|aliases|alias|symbols?|data|graph|database|table|labels?|propert(?:y|ies)|"
            r"names?|chromosomes?|cytobands?|bands?|locations?|strands?|summar(?:y|ies)|descriptions?|identifiers?|"
            r"ids?|targets?|assays?|everything")
_WRITE_AIMED = re.compile(rf"\b({_WRITE_VERBS})\s+(?:(?:all|the|every|each|this|that|these|those|a|an|new|of|my|"
                          rf"its|their|any)\s+){{0,3}}(?:{_RECORDS})\b", re.IGNORECASE)


# 'TP53 is now called FOO', 'make TP53 be on chromosome 5', 'merge TP53 and MDM2 into one gene'
_WRITE_STATED = re.compile(r"\b(?:is|are)\s+now\s+(?:called|named|on|located|known as)\b|"
                           r"^\s*(?:please\s+)?make\s+\S+\s+(?:be|become|have|sit|lie)\b|"
                           r"\bmerge\s+\S+\s+(?:and|with)\s+\S+\s+into\b", re.IGNORECASE)


def write_request(text: str) -> str | None:
    """The writing verb of a plain-language request to change the graph ('delete all tracks for K562'), or None."""
    text = normalise(text)  # 'ｄｅｌｅｔｅ' is 'delete', whichever door the text came through
    if m := _WRITE_OPENING.search(text) or _WRITE_AIMED.search(text):
        return m.group(1).lower()
    if m := _WRITE_STATED.search(text):
        return m.group(0).split()[0].lower() if m.group(0).split()[0].lower() in {"make", "merge"} else "rename"
    return None
