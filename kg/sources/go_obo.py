"""Ontologies in OBO format: the Gene Ontology (go-basic.obo: terms, their aspect and is_a parents), and the
stanzas any OBO file holds (the Human Phenotype Ontology's hp.obo: names and exact synonyms)."""

import re
from collections.abc import Iterator
from pathlib import Path

from kg.errors import ParseError
from kg.sources.table import no_records, not_utf8, open_text

ASPECTS = {"biological_process": "BP", "molecular_function": "MF", "cellular_component": "CC"}


_EXACT_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"\s+EXACT\b')


def parse_obo_terms(path: Path) -> Iterator[dict]:
    """Non-obsolete GO [Term] stanzas as {go_id, name, aspect, parents, alt_ids}."""
    for term in read_obo(path):
        yield from _finished(term, path)


def read_obo(path: Path) -> Iterator[dict]:
    """Every [Term] stanza as {line, id, name, aspect, parents, alt_ids, synonyms (the EXACT ones), obsolete};
    a file without a stanza is refused."""
    terms = 0
    try:
        for term in _terms(path):
            terms += 1
            yield term
    except UnicodeDecodeError as err:
        raise not_utf8(path, err) from None
    if not terms:
        raise no_records(path, 0)


def _terms(path: Path) -> Iterator[dict]:
    term: dict | None = None
    saw_header = False
    with open_text(path) as handle:
        for line_no, raw in enumerate(handle, start=1):
            line = raw.strip()
            if line_no == 1:
                saw_header = line.startswith("format-version:")
                if not saw_header:
                    raise ParseError(str(path), 1, "not an OBO file: expected 'format-version:' first")
            if line.startswith("["):
                if term:
                    yield term
                term = {"line": line_no, "parents": [], "alt_ids": [], "synonyms": []} if line == "[Term]" else None
                continue
            if term is None or not line or ":" not in line:
                continue
            key, _, value = line.partition(":")
            value = value.strip()
            if key == "id":
                term["id"] = value
            elif key == "name":
                term["name"] = value
            elif key == "namespace":
                term["aspect"] = ASPECTS.get(value)
            elif key == "is_a":
                term["parents"].append(value.split("!")[0].strip())
            elif key == "alt_id":
                term["alt_ids"].append(value)
            elif key == "synonym" and (exact := _EXACT_SYNONYM.match(value)):
                term["synonyms"].append(exact.group(1).replace('\\"', '"'))
            elif key == "is_obsolete" and value == "true":
                term["obsolete"] = True
    if term:
        yield term


def _finished(term: dict, path: Path) -> Iterator[dict]:
    if term.get("obsolete") or not term.get("id", "").startswith("GO:"):
        return
    if not term.get("name") or not term.get("aspect"):
        raise ParseError(str(path), term["line"], f"term {term.get('id')} lacks a name or namespace")
    yield {"go_id": term["id"], **{k: term[k] for k in ("name", "aspect", "parents", "alt_ids")}}


def ancestors(parents: dict[str, list[str]]) -> dict[str, set[str]]:
    """Transitive is_a ancestors of every term (the term itself excluded)."""
    closure: dict[str, set[str]] = {}

    def visit(go_id: str) -> set[str]:
        if go_id not in closure:
            closure[go_id] = set()  # guards against cycles in a malformed file
            found = set()
            for parent in parents.get(go_id, []):
                found |= {parent} | visit(parent)
            closure[go_id] = found
        return closure[go_id]

    for go_id in parents:
        visit(go_id)
    return closure
