"""The typed question plan: what a question asks of the graph, independent of how it was phrased.

A plan names the kind of record it is about (`find`: gene, disease, go_term, gene_group, cell_type,
biosample, experiment, track), the records it names (`names`), the conditions that define a set of them
(`where`: a property's value, a link to other records, a genomic neighbourhood), what is asked of them
(`ask`: a property or a linked kind) and the operation (`op`): get, list, count, check (yes/no), compare
(same value? which larger? what is shared?), rank (top-N, arg-max, group-by counts), nearest; or a tool of
the registry that is not a graph look-up, or a refusal with its reason.

Every kind, field and link derives from kg/schema.toml: a property or relationship added there is askable
with no code here. Values stay as the question wrote them; `tools.query.bind` links them to records after
parsing, so neither parser has to know identifiers."""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model, model_validator

from kg.schema import Property, Table, schema

LOCATION = "location"  # the genomic span of a record that has chromosome, start and end
COORDINATES = ("chromosome", "start", "end")
LOCATION_WORDS = ("coordinates", "genomic coordinates", "location", "genomic location", "genomic position",
                  "position", "locus coordinates")

Op = Literal["get", "list", "count", "check", "compare", "rank", "nearest", "tool", "decline"]
ConditionOp = Literal["is", "not", "all", "lt", "gt", "within", "overlaps"]
Decline = Literal["other_species", "variant", "expression", "exon", "structure", "write", "not_in_graph"]
DECLINE_WORDS: dict[str, str] = {
    "other_species": "The graph holds human genes only (HGNC, NCBI Gene for Homo sapiens, GENCODE on GRCh38)",
    "variant": "The graph holds no variants (no dbSNP rsIDs, no ClinVar variant records); Enformer can score a "
               "variant given as chr:pos ref>alt",
    "expression": "The graph holds no expression levels (no GTEx, no TPM values); it has ENCODE experiments, "
                  "Enformer tracks and cell-type marker genes",
    "exon": "The graph holds gene spans, not exons, introns or transcript structures",
    "structure": "The graph holds no 3-D structures; the protein image tool identifies a structure file you give it",
    "write": "The graph is read-only: nothing is created, changed or deleted",
    "not_in_graph": "The graph does not hold what the question asks for",
}


def kind_name(label: str) -> str:
    """'GoTerm' -> 'go_term'."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", label).lower()


@dataclass(frozen=True)
class Link:
    """A field that follows a relationship to another kind (optionally to a named subset of it)."""
    field: str
    relationship: str
    outgoing: bool  # (x)-[:REL]->(y) when true, (x)<-[:REL]-(y) otherwise
    other: str  # kind name
    subset: tuple[str, str] | None = None  # (property, value) of the other kind
    reads: str = "linked to"  # the link in words: 'annotated with', 'marked by'
    words: tuple[str, ...] = ()  # what people call the linked records: 'conditions', 'biological processes'
    shown: str | None = None  # a boolean property of the relationship that must hold for listed records


@dataclass(frozen=True)
class Kind:
    name: str
    table: Table
    properties: dict[str, Property]
    links: dict[str, Link]

    @property
    def label(self) -> str:
        return self.table.label

    @property
    def key(self) -> str:
        return self.table.key

    @property
    def title(self) -> str:
        return self.table.title or self.table.key

    @property
    def located(self) -> bool:
        return all(p in self.properties for p in COORDINATES)

    def fields(self) -> list[str]:
        return list(self.properties) + list(self.links) + ([LOCATION] if self.located else [])


@cache
def kinds() -> dict[str, Kind]:
    """Every askable kind with its properties and links, from kg/schema.toml."""
    tables = schema()
    askable = {t.label: kind_name(t.label) for t in tables.values() if t.is_node and t.askable}
    links: dict[str, dict[str, Link]] = {name: {} for name in askable.values()}
    for rel in tables.values():
        if rel.is_node or rel.ends[0] not in askable or rel.ends[1] not in askable:
            continue
        start, end = askable[rel.ends[0]], askable[rel.ends[1]]
        for here, there, outgoing, reads in ((start, end, True, rel.reads[0]), (end, start, False, rel.reads[1])):
            other = tables[rel.ends[1] if outgoing else rel.ends[0]]
            links[here].setdefault(there, Link(there, rel.label, outgoing, there, reads=reads, words=other.words,
                                               shown=rel.shown))
            for subset, prop, value, words in other.subsets:
                links[here].setdefault(subset, Link(subset, rel.label, outgoing, there, (prop, value), reads, words,
                                                    rel.shown))
    return {name: Kind(name, tables[label], {p.name: p for p in tables[label].record_properties}, links[name])
            for label, name in askable.items()}


def field_words(kind: Kind) -> dict[str, str]:
    """What people call each field of a kind, lower-cased -> field: a property's name and words, a link's
    words (and their plurals)."""
    words: dict[str, str] = {}
    for name, prop in kind.properties.items():
        # a key the kind does not show (a gene's graph key) is named only by its words
        named = name != kind.key or name in kind.table.show
        for phrase in (*prop.words, *([name.replace("_", " ")] if named else [])):
            words.setdefault(phrase.lower(), name)
    for name, link in kind.links.items():
        for phrase in (*link.words, name.replace("_", " ")):
            words.setdefault(phrase.lower(), name)
            words.setdefault(plural(phrase.lower()), name)
    if kind.located:
        for phrase in LOCATION_WORDS:
            words.setdefault(phrase, LOCATION)
    return words


def plural(phrase: str) -> str:
    """'biological process' -> 'biological processes', 'cell type' -> 'cell types', 'locus' -> 'loci'."""
    if phrase.endswith("us"):
        return phrase[:-2] + "i"
    if phrase.endswith(("s", "x", "ch", "sh")):
        return phrase + "es"
    if phrase.endswith("y") and phrase[-2:-1] not in "aeiou":
        return phrase[:-1] + "ies"
    return phrase + "s"


def all_fields() -> list[str]:
    return list(dict.fromkeys(f for kind in kinds().values() for f in kind.fields()))


def field_kind(kind: Kind, field: str) -> Literal["property", "link", "location"] | None:
    """How a field of a kind is read. A property wins over a link of the same name (an experiment's
    `biosample` is its own property, which also names the Biosample it links to)."""
    if field in kind.properties:
        return "property"
    if field in kind.links:
        return "link"
    if field == LOCATION and kind.located:
        return "location"
    return None


class PlanError(ValueError):
    """A plan that does not fit the schema: a field its kind lacks, an operation missing its parts."""


class PlanBase(BaseModel):
    """The checks every plan passes; the fields themselves are declared in `_models` from the schema."""

    @model_validator(mode="after")
    def _fits_schema(self):
        kind = kinds()[self.find]
        for field, role in ((self.ask, "ask"), (self.by, "by"), *((c.on, "where") for c in self.where)):
            if field is not None and field_kind(kind, field) is None:
                raise PlanError(f"{role}: a {kind.name} has no field '{field}'")
        for condition in self.where:
            if condition.op == "within" and condition.distance is None:
                raise PlanError("where: 'within' needs a distance")
            if condition.op in {"within", "overlaps"} and condition.on != LOCATION:
                raise PlanError(f"where: '{condition.op}' applies to {LOCATION} only")
        needs_names = {"get": 1, "check": 1, "compare": 2}
        if self.op in needs_names and len(self.names) < needs_names[self.op]:
            raise PlanError(f"op {self.op} needs {needs_names[self.op]} named record(s)")
        if self.op == "tool" and not self.tool:
            raise PlanError("op tool needs the tool's name")
        if self.op == "decline" and not self.decline:
            raise PlanError("op decline needs its reason")
        if self.op == "rank" and not (self.by or self.ask):
            raise PlanError("op rank needs `by` (group and count) or `ask` (order by)")
        return self


def _models() -> tuple[type[BaseModel], type[BaseModel]]:
    fields = tuple(all_fields())
    kind_names = tuple(kinds())
    Field_ = Literal[fields]  # type: ignore[valid-type]
    Kind_ = Literal[kind_names]  # type: ignore[valid-type]
    condition = create_model(
        "Condition", __module__=__name__,
        on=(Field_, Field(description="a property of `find`, a linked kind, or location")),
        op=(ConditionOp, Field("is", description="is: any of the values; not: none of them; all: every one of them; "
                               "lt / gt: below / above a number; within: within `distance` bp of a gene or "
                               "position; overlaps: overlapping a position, region or band")),
        values=(list[str], Field([], description="values as the question gives them: names, numbers, positions")),
        distance=(int | None, Field(None, description="base pairs, for `within`")),
    )
    # field order is the order a parser writes them in
    plan = create_model(
        "Plan", __base__=PlanBase, __module__=__name__,
        op=(Op, Field(description="what is done with the records")),
        find=(Kind_, Field("gene", description="the kind of record the question is about")),
        ask=(Field_ | None, Field(None, description="what is asked of the records: a property or a linked kind")),
        names=(list[str], Field([], description="the records the question names, as written")),
        where=(list[condition], Field([], description="conditions that define the set (all must hold)")),
        by=(Field_ | None, Field(None, description="rank: the field to group and count by")),
        order=(Literal["desc", "asc"], Field("desc", description="rank and compare: largest first, or smallest")),
        limit=(int | None, Field(None, description="rank and nearest: how many (top-N); list: at most this many")),
        tool=(str | None, Field(None, description="op tool: the registry tool that answers")),
        decline=(Decline | None, Field(None, description="op decline: what the graph does not hold")),
    )
    return condition, plan


Condition, Plan = _models()


def plan_json_schema() -> dict[str, Any]:
    """The plan's JSON schema, for constrained decoding."""
    return Plan.model_json_schema()


def compact(plan: BaseModel) -> dict[str, Any]:
    """The plan without its defaults: what a parser writes and a person reads."""
    return plan.model_dump(exclude_defaults=True, mode="json") | {"op": plan.op}
