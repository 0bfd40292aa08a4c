"""The gene graph's one declaration (kg/schema.toml) and everything derived from it: the Ladybug tables,
the Neo4j constraints and bulk loads, the load column order, the read columns and the API records."""

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, create_model

SCHEMA_FILE = Path(__file__).with_name("schema.toml")
LADYBUG_TYPES = {"string": "STRING", "int": "INT64", "bool": "BOOLEAN", "string[]": "STRING[]"}
PYTHON_TYPES: dict[str, Any] = {"string": str, "int": int, "bool": bool, "string[]": list[str]}


@dataclass(frozen=True)
class Property:
    name: str
    type: str
    required: bool = False
    doc: str | None = None
    lower_of: str | None = None  # a lower-cased copy of that property, for case-insensitive matching
    words: tuple[str, ...] = ()  # what people call the property, beside its own name
    match: str | None = None  # "prefix" or "contains": how a value a question gives is matched


@dataclass(frozen=True)
class Table:
    label: str
    properties: tuple[Property, ...]
    key: str | None = None  # nodes only
    index: tuple[str, ...] = ()
    ends: tuple[str, str] | None = None  # relationships only: (from label, to label)
    end_fields: tuple[str, str] | None = None  # the row fields that name the two ends
    merge_on: tuple[str, ...] = ()
    title: str | None = None  # nodes: the property that names a record in an answer
    show: tuple[str, ...] = ()  # nodes: the properties a listed record shows
    askable: bool = True  # nodes: a kind of record questions can find
    subsets: tuple[tuple[str, str, str, tuple[str, ...]], ...] = ()  # (name, property, value, words): named parts
    words: tuple[str, ...] = ()  # nodes: what people call its records
    listed: str | None = None  # nodes: lists hold the records that have this property; the others are counted apart
    reads: tuple[str, str] = ("linked to", "linked to")  # relationships: in words, forwards and backwards
    shown: str | None = None  # relationships: a boolean property that must hold for linked records to be listed

    @property
    def is_node(self) -> bool:
        return self.ends is None

    @property
    def columns(self) -> list[str]:
        return [p.name for p in self.properties]

    def prop(self, name: str) -> Property | None:
        return next((p for p in self.properties if p.name == name), None)

    def lower_copy(self, name: str) -> str | None:
        """The lower-cased copy of a property, where the schema keeps one."""
        return next((p.name for p in self.properties if p.lower_of == name), None)

    @property
    def record_properties(self) -> list[Property]:
        """The properties a record shows: the lower-cased copies are for matching only."""
        return [p for p in self.properties if p.lower_of is None]


@cache
def schema() -> dict[str, Table]:
    """Tables in load order: nodes, then relationships."""
    declared = tomllib.loads(SCHEMA_FILE.read_text())
    tables: dict[str, Table] = {}
    for label, spec in declared.items():
        properties = tuple(Property(name, **p | {"words": tuple(p.get("words", ()))})
                           for name, p in spec.get("properties", {}).items())
        if "from" in spec:
            ends = (spec["from"], spec["to"])
            fields = (spec.get("from_field", tables[ends[0]].key), spec.get("to_field", tables[ends[1]].key))
            tables[label] = Table(label, properties, ends=ends, end_fields=fields,
                                  merge_on=tuple(spec.get("merge_on", ())),
                                  reads=(spec.get("reads", "linked to"), spec.get("reads_back", "linked to")),
                                  shown=spec.get("shown"))
        else:
            subsets = tuple((name, *rule["where"].split("=", 1), tuple(rule.get("words", ())))
                            for name, rule in spec.get("subsets", {}).items())
            tables[label] = Table(label, properties, key=spec["key"], index=tuple(spec.get("index", ())),
                                  title=spec.get("title"), show=tuple(spec.get("show", ())),
                                  askable=spec.get("askable", True), subsets=subsets,
                                  words=tuple(spec.get("words", ())), listed=spec.get("listed"))
    return tables


def node_labels() -> list[str]:
    return [t.label for t in schema().values() if t.is_node]


def relationship_types() -> list[str]:
    return [t.label for t in schema().values() if not t.is_node]


# ---- rows ---------------------------------------------------------------------------------------------

def load_rows(label: str, rows: list[dict]) -> list[dict]:
    """Rows as a backend loads them: ends first (relationships), then every declared property in order,
    lower-cased copies filled in."""
    table = schema()[label]
    ends = list(table.end_fields or ())
    out = []
    for row in rows:
        record = {field: row[field] for field in ends}
        for p in table.properties:
            if p.lower_of:
                value = row.get(p.lower_of)
                record[p.name] = value.lower() if isinstance(value, str) else None
            else:
                record[p.name] = row.get(p.name, [] if p.type == "string[]" else None)
        out.append(record)
    return out


def empty_row(label: str) -> dict:
    """A row with every property absent: None, or [] for lists."""
    return {p.name: [] if p.type == "string[]" else None for p in schema()[label].properties if not p.lower_of}


# ---- Ladybug ------------------------------------------------------------------------------------------

def ladybug_ddl() -> list[str]:
    statements = []
    for table in schema().values():
        columns = [f"`{p.name}` {LADYBUG_TYPES[p.type]}" + (" PRIMARY KEY" if p.name == table.key else "")
                   for p in table.properties]
        if table.is_node:
            statements.append(f"CREATE NODE TABLE {table.label}({', '.join(columns)})")
        else:
            ends = f"FROM {table.ends[0]} TO {table.ends[1]}"
            statements.append(f"CREATE REL TABLE {table.label}({', '.join([ends, *columns])})")
    return statements


# ---- Neo4j --------------------------------------------------------------------------------------------

def neo4j_schema() -> list[str]:
    """Uniqueness constraints on the keys and indexes on the look-up properties (Neo4j is schemaless)."""
    statements = []
    for table in schema().values():
        if table.is_node:
            statements.append(f"CREATE CONSTRAINT {table.label.lower()}_{table.key} IF NOT EXISTS "
                              f"FOR (n:{table.label}) REQUIRE n.`{table.key}` IS UNIQUE")
            statements += [f"CREATE INDEX {table.label.lower()}_{p} IF NOT EXISTS FOR (n:{table.label}) ON (n.`{p}`)"
                           for p in table.index]
    return statements


def neo4j_load(label: str) -> str:
    """One batched UNWIND that merges `$rows` of the table."""
    table = schema()[label]
    if table.is_node:
        sets = [f"n.`{p}` = r.`{p}`" for p in table.columns if p != table.key]
        return (f"UNWIND $rows AS r MERGE (n:{label} {{`{table.key}`: r.`{table.key}`}})"
                + (f" SET {', '.join(sets)}" if sets else ""))
    (a, b), (fa, fb) = table.ends, table.end_fields
    key_a, key_b = schema()[a].key, schema()[b].key
    merged = ", ".join(f"`{p}`: r.`{p}`" for p in table.merge_on)
    sets = [f"e.`{p}` = r.`{p}`" for p in table.columns if p not in table.merge_on]
    return (f"UNWIND $rows AS r MATCH (a:{a} {{`{key_a}`: r.`{fa}`}}), (b:{b} {{`{key_b}`: r.`{fb}`}}) "
            f"MERGE (a)-[e:{label}{' {' + merged + '}' if merged else ''}]->(b)"
            + (f" SET {', '.join(sets)}" if sets else ""))


# ---- reads and records ------------------------------------------------------------------------------

def read_columns(label: str, variable: str) -> str:
    """`g.`symbol` AS `symbol`, ...`: the RETURN list that fills the label's record."""
    return ", ".join(f"{variable}.`{p.name}` AS `{p.name}`" for p in schema()[label].record_properties)


def schema_text() -> str:
    """Labels, properties and relationship patterns, one per line, for text-to-Cypher prompts."""
    lines = ["Node labels and properties:"]
    rels = ["Relationships:"]
    for table in schema().values():
        props = [f"{p.name} {LADYBUG_TYPES[p.type]}" for p in table.properties]
        if table.is_node:
            lines.append(f"(:{table.label} {{{', '.join(props)}}})")
        else:
            body = " {" + ", ".join(props) + "}" if props else ""
            rels.append(f"(:{table.ends[0]})-[:{table.label}{body}]->(:{table.ends[1]})")
    return "\n".join(lines + rels)


def record_model(label: str, base: type[BaseModel] = BaseModel, **extra: Any) -> type[BaseModel]:
    """The pydantic record of a node label: its declared properties (lower-cased copies left out), plus
    `extra` fields as (type, default or FieldInfo)."""
    fields: dict[str, Any] = {}
    for p in schema()[label].record_properties:
        kind = PYTHON_TYPES[p.type]
        if p.required:
            fields[p.name] = (kind, Field(description=p.doc))
        elif p.type == "string[]":
            fields[p.name] = (kind, Field([], description=p.doc))
        else:
            fields[p.name] = (kind | None, Field(None, description=p.doc))
    return create_model(label, __base__=base, __module__="kg.models", **fields, **extra)
