"""Reject Cypher that could change anything, before it reaches a database.

This is the first of two guards: queries also run in read transactions (Neo4j) or on a read-only
database (Ladybug), so a clause missed here still cannot write.
"""

import re

from kg.errors import ReadOnlyViolation

# Clauses that write, call procedures, load or export files, or change the schema, in either dialect.
FORBIDDEN = {
    "CREATE", "MERGE", "DELETE", "DETACH", "SET", "REMOVE", "DROP", "CALL", "LOAD", "COPY", "FOREACH",
    "ALTER", "INSTALL", "ATTACH", "EXPORT", "IMPORT", "CHECKPOINT", "GRANT", "REVOKE", "DENY", "PERIODIC",
}

_STRING_OR_COMMENT = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL)
_WORD = re.compile(r"[A-Za-z_]+")
# Procedures can also be reached as functions (apoc.cypher.run*, db.*): refuse those namespaces.
_PROCEDURE_NAMESPACE = re.compile(r"\b(apoc|db|dbms|gds|genai)\s*\.\s*[A-Za-z_]", re.IGNORECASE)


def check_read_only(cypher: str) -> str:
    """Return the query unchanged if it only reads; raise ReadOnlyViolation otherwise."""
    if not cypher or not cypher.strip():
        raise ReadOnlyViolation("empty query")
    code = _STRING_OR_COMMENT.sub(" ", cypher)
    if ";" in code.strip().rstrip(";"):
        raise ReadOnlyViolation("only one statement per query is allowed")
    # A keyword after '.' is a property (e.g. n.set), after ':' a label: not a clause.
    for match in _WORD.finditer(code):
        word = match.group().upper()
        before = code[: match.start()].rstrip()[-1:] if match.start() else ""
        if word in FORBIDDEN and before not in (".", ":", "$"):
            raise ReadOnlyViolation(f"read-only queries may not use {word}; the query was not run")
    if namespace := _PROCEDURE_NAMESPACE.search(code):
        raise ReadOnlyViolation(f"read-only queries may not call {namespace.group(1)}.* procedures or functions")
    if not re.match(r"\s*(MATCH|OPTIONAL|WITH|UNWIND|RETURN)\b", code, re.IGNORECASE):
        raise ReadOnlyViolation("a query must start with MATCH, OPTIONAL MATCH, WITH, UNWIND or RETURN")
    return cypher.strip().rstrip(";")
