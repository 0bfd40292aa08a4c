"""Reject Cypher that could change anything, before it reaches a database.

Two guards. `check_read_only` is the keyword filter every user query passes first. Queries also
run in read transactions (Neo4j) or on a read-only database (Ladybug); since a read-only Ladybug
database still copies and exports files, installs extensions and checkpoints, the Ladybug store
also lets only single query statements through `check_statement_kind`, so a clause missed by the
filter still cannot write.
"""

import re
import unicodedata

from kg.errors import ReadOnlyViolation

# Clauses that write, call procedures, load or export files, or change the schema, in either dialect.
FORBIDDEN = {
    "CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "DROP", "CALL", "LOAD", "COPY", "FOREACH",
    "ALTER", "INSTALL", "ATTACH", "EXPORT", "IMPORT", "CHECKPOINT", "GRANT", "REVOKE", "DENY", "PERIODIC",
}
# The statement kinds a read needs: a query. Ladybug's other statements (COPY, EXPORT, IMPORT, INSTALL,
# LOAD EXTENSION, CHECKPOINT, ATTACH, CALL option=value, transactions, DDL) all start otherwise.
QUERY_STARTS = ("MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN")
# Reading clauses that reach files or table functions from inside a query.
FORBIDDEN_IN_QUERY = {"CALL", "LOAD"}

# Strings with backslash escapes, quoted names and comments, as both databases lex them. One left open
# runs to the end (the database refuses it unparsed); so every match succeeds and the scan stays linear.
_STRING_OR_COMMENT = re.compile(
    r"'(?:[^'\\]|\\.?)*(?:'|\Z)|\"(?:[^\"\\]|\\.?)*(?:\"|\Z)|`[^`]*(?:`|\Z)|//[^\n]*|/\*.*?(?:\*/|\Z)",
    re.DOTALL)
_TOKEN = re.compile(r"[A-Za-z0-9_]+|\S")
# Procedures can also be reached as functions (apoc.cypher.run*, db.*): refuse those namespaces.
_PROCEDURE_NAMESPACE = re.compile(r"\b(apoc|db|dbms|gds|genai)\s*\.\s*[A-Za-z_]", re.IGNORECASE)
_STARTS_WITH_QUERY = re.compile(rf"\s*({'|'.join(QUERY_STARTS)})\b", re.IGNORECASE)


_UNDECODED = re.compile("[\ud800-\udfff]")


def undecoded(text: str) -> bool:
    """True when the text holds bytes that were not UTF-8 (Python hands them over as lone surrogates)."""
    return _UNDECODED.search(text) is not None


def normalise(cypher: str) -> str:
    """NFKC (fullwidth letters become ASCII) without format characters (zero-width spaces, joiners,
    direction marks), so that what the filter reads is what the database parses."""
    text = unicodedata.normalize("NFKC", cypher)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _code(cypher: str) -> str:
    """The query with strings, quoted names and comments blanked."""
    return _STRING_OR_COMMENT.sub(" ", cypher)


def _clauses(code: str) -> list[str]:
    """Upper-cased words of the code that are clauses: a word after '.' is a property, after ':' a
    label, after '$' a parameter."""
    words, before = [], ""
    for match in _TOKEN.finditer(code):
        token = match.group()
        if (token[0].isalnum() or token[0] == "_") and before not in (".", ":", "$"):
            words.append(token.upper())
        before = token
    return words


def _single_statement(code: str) -> None:
    if ";" in code.strip().rstrip(";"):
        raise ReadOnlyViolation("only one statement per query is allowed")


def check_read_only(cypher: str) -> str:
    """Return the query, normalised, if it only reads; raise ReadOnlyViolation otherwise."""
    cypher = normalise(cypher or "")
    if not cypher.strip():
        raise ReadOnlyViolation("empty query")
    code = _code(cypher)
    _single_statement(code)
    for word in _clauses(code):
        if word in FORBIDDEN:
            raise ReadOnlyViolation(f"read-only queries may not use {word}; the query was not run")
    if namespace := _PROCEDURE_NAMESPACE.search(code):
        raise ReadOnlyViolation(f"read-only queries may not call {namespace.group(1)}.* procedures or functions")
    if not _STARTS_WITH_QUERY.match(code):
        raise ReadOnlyViolation("a query must start with MATCH, OPTIONAL MATCH, WITH, UNWIND or RETURN")
    return cypher.strip().rstrip(";")


def check_statement_kind(cypher: str) -> None:
    """The second guard, at the connection: one query statement, without CALL or LOAD clauses.
    Raise ReadOnlyViolation for anything else, whatever the keyword filter made of it."""
    code = _code(cypher)
    _single_statement(code)
    if not _STARTS_WITH_QUERY.match(code):
        raise ReadOnlyViolation("the graph runs only read queries (MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN); "
                                "the statement was not run")
    if refused := FORBIDDEN_IN_QUERY.intersection(_clauses(code)):
        raise ReadOnlyViolation(
            f"the graph does not run {', '.join(sorted(refused))} clauses; the statement was not run")
