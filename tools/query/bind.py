"""Link a plan's values, as a question wrote them, to the graph: names to records of their kind, property
values to the values the graph stores, locations to spans. Every link says how it was made, and a value
that links to nothing is one clear error naming what was not found."""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from rapidfuzz import fuzz, process

from kg.errors import GeneNotFound, GeneverseError, shorten
from kg.identifiers import TAGGED_TARGET
from kg.sources.table import chromosome_name
from tools.query.plan import Kind, Link, Plan, field_kind, kinds
from tools.query.vocabulary import (
    _ASSAYS,
    CYTOBAND,
    GO_ID,
    LOCUS_TYPES,
    TRACK_ASSAY,
    go_vocabulary,
    normalise,
    vocabulary,
)

# A property with at most this many distinct values is matched against them (locus types, strands, assays);
# one with more (symbols, names) is compared as given, case aside.
SMALL_VOCABULARY = 500


class Unlinked(GeneverseError):
    """A value of the plan names nothing of its kind in the graph."""

    def __init__(self, what: str, value: str, hint: str = ""):
        self.what, self.value = what, value
        super().__init__(f"No {what} '{shorten(value)}' in the graph.{' ' + hint if hint else ''}")


class Linked(BaseModel):
    """One value as written, and what it stands for."""
    text: str
    keys: list[Any]
    label: str
    note: str | None = None


@dataclass
class Span:
    chromosome: str
    start: int
    end: int
    label: str
    gene_id: str | None = None  # the gene the span is, left out of its own neighbourhood


@dataclass
class BoundCondition:
    on: str
    op: str
    how: str  # property, link or location
    values: list[Linked]
    prop: Any = None
    link: Link | None = None
    spans: list[Span] = field(default_factory=list)
    band: str | None = None
    distance: int | None = None


@dataclass
class BoundPlan:
    plan: Plan
    kind: Kind
    names: list[Linked]
    where: list[BoundCondition]

    @property
    def notes(self) -> list[str]:
        linked = self.names + [v for c in self.where for v in c.values]
        return [v.note for v in linked if v.note]


# --- records of a kind by name ------------------------------------------------------------------------

def _gene(graph, text: str) -> Linked:
    resolution = graph.resolve(text)
    best = resolution.best
    if best is None:
        raise GeneNotFound(text, graph.closest_symbols(text))
    note = None
    if best.reason not in {"official", "identifier"}:
        note = f"'{text}' is {best.reason.replace('_', ' ')} name of {best.symbol}"
    if resolution.ambiguous:
        others = ", ".join(c.symbol for c in resolution.others[:4])
        verdict = "a guess between close readings" if resolution.guess else "the likeliest"
        note = f"'{text}' may also name {others}; {best.symbol} is {verdict}"
    return Linked(text=text, keys=[best.gene_id], label=best.symbol, note=note)


def _disease(graph, text: str) -> Linked:
    """The condition a name stands for; every condition that has the name, when several do (ClinVar's and
    HPO's record of one disease); every member of the family a name stands for ('Otofaciocervical syndrome':
    types 1 and 2)."""
    if family := graph.disease_names.family(text):
        names = sorted({graph.disease_names.primary[i] for i in family})
        shown = "; ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return Linked(text=text, keys=family, label=text, note=f"'{text}' names a family of {len(names)} conditions ({shown})")
    matches = graph.disease_names.search(text, limit=20)
    if not matches:
        raise Unlinked("condition", text, "Conditions come from ClinVar and HPO.")
    best = matches[0]
    same = [m for m in matches if m.score == best.score] if best.score == 1.0 else [best]
    note = None if best.score == 1.0 else f"'{text}' read as the condition '{best.primary_name}' (match {best.score:.2f})"
    if len(same) > 1:
        note = f"'{text}' names {len(same)} condition records ({', '.join(m.disease_id for m in same)})"
    return Linked(text=text, keys=[m.disease_id for m in same], label=best.primary_name, note=note)


def _go_term(graph, text: str) -> Linked:
    names = graph.go_term_names()
    if GO_ID.fullmatch(text.strip().upper()):
        go_id = text.strip().upper()
        if go_id not in names:
            raise Unlinked("GO term", text)
        return Linked(text=text, keys=[go_id], label=names[go_id])
    by_name = go_vocabulary(graph)
    key = " ".join(text.lower().split()).strip(" .?")
    for form in (key, key.removesuffix("s"), key.removesuffix("es"), key.removeprefix("the ")):
        if form in by_name:
            return Linked(text=text, keys=[by_name[form]], label=names[by_name[form]])
    hit = process.extractOne(key, list(by_name), scorer=fuzz.ratio, score_cutoff=90)
    if hit:
        go_id = by_name[hit[0]]
        return Linked(text=text, keys=[go_id], label=names[go_id], note=f"'{text}' read as the GO term '{hit[0]}'")
    raise Unlinked("GO term", text)


@lru_cache(maxsize=8)
def _titles(graph, kind_name: str) -> dict[str, list[str]]:
    """Lower-cased title (and other naming properties) of every record of a kind -> record keys."""
    kind = kinds()[kind_name]
    named = [p for p in ("name", "ontology_name", kind.title) if p in kind.properties]
    columns = ", ".join(f"x.`{p}` AS `{p}`" for p in dict.fromkeys(named))
    titles: dict[str, list[str]] = {}
    for row in graph.store.run(f"MATCH (x:{kind.label}) RETURN x.`{kind.key}` AS key, {columns}"):
        for p in named:
            if row[p]:
                keys = titles.setdefault(_plain(row[p]), [])
                if row["key"] not in keys:
                    keys.append(row["key"])
    return titles


_GENERIC_WORDS = {"cell", "the", "of", "a", "an", "gene", "genes", "group", "family", "in", "from", "and"}


def _plain(text: str) -> str:
    """A name as a sorted set of its words, lower case, plural 's' and generic words dropped:
    'Memory B cells', 'B cell (memory)', 'B cell_memory' -> 'b memory'."""
    words = {w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
             for w in re.findall(r"[^\W_]+(?:[+\-/][^\W_]+)*\+?", text.lower())}
    return " ".join(sorted(words - _GENERIC_WORDS)) or " ".join(sorted(words))


@lru_cache(maxsize=8)
def _tissues(graph) -> dict[str, str]:
    rows = graph.store.run("MATCH (c:CellType) WHERE c.tissue IS NOT NULL RETURN DISTINCT c.tissue AS tissue")
    return {_plain(r["tissue"]): r["tissue"] for r in rows}


def _cell_type(graph, text: str) -> Linked:
    """Every cell type of that name (in each tissue and study that annotates it), narrowed to a tissue the
    value names ('alveolar macrophages in lung', 'lung macrophage')."""
    plain = _plain(text)
    words = set(plain.split())
    tissue = next((t for key, t in _tissues(graph).items() if set(key.split()) <= words), None)
    keys = _named(graph, "cell_type", plain)
    if not keys and tissue:
        keys = _named(graph, "cell_type", " ".join(sorted(words - set(_plain(tissue).split()))))
    if not keys:
        raise Unlinked("cell type", text, "Cell types come from the vendored marker table (GPTCelltype).")
    rows = graph.store.run("MATCH (c:CellType) WHERE c.cell_type_id IN $keys RETURN c.cell_type_id AS key, "
                           "c.name AS name, c.tissue AS tissue", {"keys": keys})
    if tissue and any(r["tissue"] == tissue for r in rows):
        rows = [r for r in rows if r["tissue"] == tissue]
    names = sorted({r["name"] for r in rows})
    where = f" in {tissue}" if tissue and all(r["tissue"] == tissue for r in rows) else ""
    return Linked(text=text, keys=[r["key"] for r in rows], label=" / ".join(names) + where,
                  note=f"'{text}': {len(rows)} annotated cell types ({', '.join(sorted({r['tissue'] or '?' for r in rows}))})"
                  if len(rows) > 1 else None)


def _named(graph, kind_name: str, plain: str) -> list[str]:
    titles = _titles(graph, kind_name)
    if plain in titles:
        return titles[plain]
    hit = process.extractOne(plain, list(titles), scorer=fuzz.token_sort_ratio, score_cutoff=90)
    return titles[hit[0]] if hit else []


def _generic(kind_name: str):
    def link(graph, text: str) -> Linked:
        keys = _named(graph, kind_name, _plain(text))
        if not keys:
            raise Unlinked(kind_name.replace("_", " "), text)
        return Linked(text=text, keys=keys, label=text)
    return link


def _biosample(graph, text: str) -> Linked:
    vocab = vocabulary(graph).biosamples
    key = normalise(re.sub(r"\b(?:cells?|cell lines?|tissues?|samples?)\b", " ", text, flags=re.IGNORECASE))
    value = vocab.get(key)
    if value is None:
        hit = process.extractOne(key, list(vocab), scorer=fuzz.ratio, score_cutoff=88) if len(key) >= 4 else None
        if hit is None:
            raise Unlinked("biosample", text)
        value = vocab[hit[0]]
    return Linked(text=text, keys=[value], label=value)


def _experiment(graph, text: str) -> Linked:
    rows = graph.store.run("MATCH (e:Experiment) WHERE e.accession = $a RETURN e.accession AS a",
                           {"a": text.strip().upper()})
    if not rows:
        raise Unlinked("ENCODE experiment", text)
    return Linked(text=text, keys=[rows[0]["a"]], label=rows[0]["a"])


def _track(graph, text: str) -> Linked:
    value = text.strip()
    query = ("MATCH (t:Track) WHERE t.`index` = $i RETURN t.`index` AS i, t.description AS d" if value.isdigit() else
             "MATCH (t:Track) WHERE t.identifier = $v OR t.description = $v RETURN t.`index` AS i, t.description AS d")
    rows = graph.store.run(query, {"i": int(value)} if value.isdigit() else {"v": value})
    if not rows:
        raise Unlinked("Enformer track", text)
    return Linked(text=text, keys=[r["i"] for r in rows], label=rows[0]["d"])


RECORD_LINKERS = {"gene": _gene, "disease": _disease, "go_term": _go_term, "cell_type": _cell_type,
                  "biosample": _biosample, "experiment": _experiment, "track": _track}


def link_record(graph, kind_name: str, text: str) -> Linked:
    return RECORD_LINKERS.get(kind_name, _generic(kind_name))(graph, text)


# --- property values -------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*([\d,]*\.?\d+)\s*(bp|b|kb|k|kbp|mb|m|mbp|gb)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "bp": 1, "k": 1_000, "kb": 1_000, "kbp": 1_000, "m": 1_000_000, "mb": 1_000_000,
          "mbp": 1_000_000, "gb": 1_000_000_000}


def parse_number(text: str) -> int | None:
    """'1 Mb' -> 1000000; '2,500' -> 2500; '50kb' -> 50000."""
    m = _NUMBER.match(text)
    if m is None:
        return None
    return round(float(m.group(1).replace(",", "")) * _UNITS[(m.group(2) or "").lower()])


@lru_cache(maxsize=32)
def property_values(graph, label: str, prop: str) -> tuple[str, ...] | None:
    """The distinct values a property holds, when there are few; None when there are many."""
    rows = graph.store.run(f"MATCH (x:{label}) WHERE x.`{prop}` IS NOT NULL RETURN DISTINCT x.`{prop}` AS v "
                           f"LIMIT {SMALL_VOCABULARY + 1}")
    values = tuple(str(r["v"]) for r in rows)
    return values if len(values) <= SMALL_VOCABULARY else None


def _assay(kind: Kind, text: str) -> list[str] | None:
    canonical = next((assay for pattern, assay in _ASSAYS if pattern.search(text)), None)
    if canonical is None:
        return None
    if kind.name == "track":
        return [TRACK_ASSAY[canonical]] if canonical in TRACK_ASSAY else []
    return ["ChIP-seq", "TF ChIP-seq", "Histone ChIP-seq"] if canonical == "ChIP-seq" else [canonical]


def link_value(graph, kind: Kind, prop: str, text: str) -> tuple[str, Linked]:
    """(the property to compare, the linked value). A locus value may move to the other locus property
    ('microRNA' is a locus type, 'pseudogene' a locus group)."""
    p = kind.properties[prop]
    value = text.strip()
    if p.type == "int":
        number = parse_number(value)
        if number is None:
            raise GeneverseError(f"'{shorten(value)}' is not a number ({prop})")
        return prop, Linked(text=text, keys=[number], label=f"{number:,}")
    if prop == "chromosome":
        name = chromosome_name(re.sub(r"^(?:chromosome|chrom|chr)\s*", "", value, flags=re.IGNORECASE)).upper()
        return prop, Linked(text=text, keys=["MT" if name in {"M", "MT"} else name], label=f"chr{name}")
    if prop == "cytoband":
        band = CYTOBAND.search(value)
        if band is None:
            raise GeneverseError(f"'{shorten(value)}' is not a cytoband (e.g. 17p13.1, 8q24, Xq28)")
        return prop, Linked(text=text, keys=[band.group(0)], label=band.group(0))
    if prop in {"locus_group", "locus_type"}:
        for pattern, (locus_prop, stored) in LOCUS_TYPES:
            if pattern.search(value):
                return locus_prop, Linked(text=text, keys=[stored], label=stored)
    if prop == "assay" and (assays := _assay(kind, value)) is not None:
        if not assays:
            raise Unlinked(f"{kind.name} assay", value, "Enformer tracks are DNase, ATAC, ChIP and CAGE.")
        return prop, Linked(text=text, keys=assays, label=value)
    if prop == "gene_groups":
        group = _generic("gene_group")(graph, value)
        return prop, group.model_copy(update={"label": group.keys[0]})
    known = property_values(graph, kind.label, prop)
    if known is not None:
        by_lower = {v.lower(): v for v in known}
        if value.lower() in by_lower:
            return prop, Linked(text=text, keys=[by_lower[value.lower()]], label=by_lower[value.lower()])
        hit = process.extractOne(value.lower(), list(by_lower), scorer=fuzz.WRatio, score_cutoff=88)
        if hit:
            return prop, Linked(text=text, keys=[by_lower[hit[0]]], label=by_lower[hit[0]],
                                note=f"'{text}' read as {prop.replace('_', ' ')} '{by_lower[hit[0]]}'")
        raise Unlinked(prop.replace("_", " "), value, f"Values held: {', '.join(sorted(known)[:12])}.")
    lowered = kind.table.lower_copy(prop)
    if prop == "target" and "target_construct" in kind.properties and TAGGED_TARGET.match(value):
        return "target_construct", Linked(text=text, keys=[value], label=value)  # ENCODE's target is the protein
    return prop, Linked(text=text, keys=[value.lower() if lowered else value], label=value)


# --- locations ---------------------------------------------------------------------------------------------

_POSITION = re.compile(r"^\s*(?:chr(?:omosome)?\s*)?(\w{1,2})\s*[:\s]\s*([\d,.]+)\s*(bp|kb|mb)?"
                       r"(?:\s*(?:-|–|to|\.\.)\s*([\d,.]+)\s*(bp|kb|mb)?)?\s*$", re.IGNORECASE)


def _coordinate(number: str, unit: str | None) -> int:
    value = float(number.replace(",", "")) if unit else int(number.replace(",", "").split(".")[0])
    return round(value * _UNITS[(unit or "").lower()])


def link_location(graph, text: str) -> Span | str:
    """A span for a gene, a position or a region; a band comes back as its text."""
    m = _POSITION.match(text)
    if m and m.group(1).upper() in {str(i) for i in range(1, 23)} | {"X", "Y", "M", "MT"}:
        start = _coordinate(m.group(2), m.group(3) or m.group(5))
        end = _coordinate(m.group(4), m.group(5) or m.group(3)) if m.group(4) else start
        chromosome = chromosome_name(m.group(1).upper())
        label = f"chr{chromosome}:{start:,}" + (f"-{end:,}" if end != start else "")
        return Span(chromosome, min(start, end), max(start, end), label)
    band = CYTOBAND.fullmatch(text.strip())
    if band:
        return band.group(0)
    linked = _gene(graph, text)
    gene = graph.genes(linked.keys)[0]
    if not (gene.chromosome and gene.start and gene.end):
        raise GeneverseError(f"The graph has no coordinates for {gene.symbol}.")
    if gene.assembly != "GRCh38":
        raise GeneverseError(f"{gene.symbol} has coordinates on {gene.assembly} only, not GRCh38.")
    return Span(gene.chromosome, gene.start, gene.end, gene.symbol, gene.gene_id)


# --- the plan ------------------------------------------------------------------------------------------

def bind(plan: Plan, graph) -> BoundPlan:
    """Link every value of the plan; raise on the first that names nothing."""
    kind = kinds()[plan.find]
    names = [link_record(graph, kind.name, name) for name in plan.names]
    where = []
    for condition in plan.where:
        how = field_kind(kind, condition.on)
        bound = BoundCondition(on=condition.on, op=condition.op, how=how, values=[], distance=condition.distance)
        if how == "property":
            for value in condition.values:
                prop, linked = link_value(graph, kind, condition.on, value)
                bound.on, bound.prop = prop, kind.properties[prop]
                bound.values.append(linked)
        elif how == "link":
            bound.link = kind.links[condition.on]
            bound.values = [link_record(graph, bound.link.other, value) for value in condition.values]
        else:
            for value in condition.values:
                span = link_location(graph, value)
                if isinstance(span, str):
                    bound.band = span
                else:
                    bound.spans.append(span)
                bound.values.append(Linked(text=value, keys=[], label=span if isinstance(span, str) else span.label))
        if not bound.values:
            raise GeneverseError(f"The condition on {condition.on} names no value.")
        where.append(bound)
    return BoundPlan(plan=plan, kind=kind, names=names, where=where)
