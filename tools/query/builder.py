"""A bound question plan compiled to parameterised read-only Cypher that runs on Ladybug and Neo4j alike.

Conditions compile to boolean expressions over the plan's record (`x`): a property's value, a link to
named records (EXISTS subqueries), a genomic neighbourhood. The operation decides what is returned: the
records, their values of a property, linked records, counts, per-record verdicts, groups ranked by size.
No value from the question is ever spliced into the query text: values travel as parameters, and names of
labels, relationships and properties come from the schema alone."""

from dataclasses import dataclass, field
from typing import Any

from kg.errors import GeneverseError
from tools.query.bind import BoundCondition, BoundPlan, Span
from tools.query.plan import LOCATION, Kind, Link, kinds

# Rows a list returns; the total is counted apart, so a long answer still says how long it is.
MAX_ROWS = 100
TIES = 20  # a ranking reads this many rows past its limit, to keep the ones tied with the last


class NotInData(GeneverseError):
    """The question asks for an assay or target that the graph's data does not hold."""

    def __init__(self, missing: list[str]):
        super().__init__(
            f"The data holds no {', '.join(dict.fromkeys(missing))}: the graph has ENCODE ChIP-seq, DNase-seq and "
            "RNA-seq experiments and Enformer ChIP-seq, DNase-seq, ATAC-seq and CAGE tracks; nothing was queried.")


@dataclass
class Query:
    """One read query: its text, parameters, and what its rows hold."""
    cypher: str
    params: dict[str, Any]
    shape: str  # records, values, linked, count, verdicts, groups, ordered, nearest
    total: "Query | None" = None  # how many rows there would be without the cap
    others: "Query | None" = None  # records that match but lists leave out (genes HGNC does not name)


@dataclass
class _Params:
    values: dict[str, Any] = field(default_factory=dict)

    def add(self, value: Any) -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}"


def q(name: str) -> str:
    return f"`{name}`"


def _pattern(var: str, link: Link, other: str, shown: bool = False) -> str:
    """(var)-[:REL]->(other:Label); `shown` names the relationship, for the test `_subset` adds."""
    label = kinds()[link.other].label
    rel = f"r_{other}:" if shown and link.shown else ":"
    arrow = f"-[{rel}{link.relationship}]->" if link.outgoing else f"<-[{rel}{link.relationship}]-"
    return f"({var}){arrow}({other}:{label})"


def _subset(link: Link, other: str, params: _Params, shown: bool = False) -> str:
    """AND-tests of a linked record: its subset (GO processes), and when `shown`, the relationship's test for
    listed records (direct GO annotations)."""
    tests = f" AND {other}.{q(link.subset[0])} = {params.add(link.subset[1])}" if link.subset else ""
    if shown and link.shown:
        tests += f" AND r_{other}.{q(link.shown)} = true"
    return tests


def _band(column: str, band: str, params: _Params) -> str:
    """'17p13' covers 17p13, its sub-bands 17p13.x and ranges starting there; '17p13.1' covers 17p13.1x."""
    exact, ranged = params.add(band), params.add(band + "-")
    sub = params.add(band if "." in band else band + ".")
    return f"({column} = {exact} OR {column} STARTS WITH {ranged} OR {column} STARTS WITH {sub})"


def _span(var: str, span: Span, distance: int, params: _Params) -> str:
    chromosome, start, end = params.add(span.chromosome), params.add(span.start - distance), \
        params.add(span.end + distance)
    expr = (f"{var}.chromosome = {chromosome} AND {var}.assembly = 'GRCh38' AND {var}.start <= {end} "
            f"AND {var}.`end` >= {start}")
    if span.gene_id:
        expr += f" AND {var}.{q(kinds()['gene'].key)} <> {params.add(span.gene_id)}"
    return f"({expr})"


def _keys(condition: BoundCondition) -> list[Any]:
    return [key for value in condition.values for key in value.keys]


def _value_test(var: str, condition: BoundCondition, keys: list[Any], kind: Kind, params: _Params) -> str:
    """True when the record's property holds one of `keys`."""
    prop = condition.prop
    lowered = kind.table.lower_copy(prop.name)
    column = f"{var}.{q(lowered or prop.name)}"
    if lowered:
        keys = [str(k).lower() for k in keys]
    if prop.type == "string[]":
        return f"any(v IN {params.add(keys)} WHERE v IN {var}.{q(prop.name)})"
    if prop.match == "prefix":
        return "(" + " OR ".join(_band(column, str(k), params) for k in keys) + ")"
    if prop.match == "word":
        return "(" + " OR ".join(f"({column} = {params.add(str(k).lower())} OR {column} STARTS WITH "
                                 f"{params.add(str(k).lower() + ' ')})" for k in keys) + ")"
    if prop.type == "int" and condition.op in {"lt", "gt"}:
        return f"{column} {'<' if condition.op == 'lt' else '>'} {params.add(keys[0])}"
    return f"{column} IN {params.add(keys)}"


def condition_expr(var: str, condition: BoundCondition, kind: Kind, params: _Params) -> str:
    """The condition as a boolean expression over the record `var`."""
    if condition.how == "property":
        if condition.op == "all" and condition.prop.type == "string[]":
            return f"all(v IN {params.add(_keys(condition))} WHERE v IN {var}.{q(condition.prop.name)})"
        if condition.op == "all":  # a record holds one value of a scalar property: every one of them, each
            tests = [_value_test(var, condition, value.keys, kind, params) for value in condition.values]
            return "(" + " AND ".join(tests) + ")"
        test = _value_test(var, condition, _keys(condition), kind, params)
        column = f"{var}.{q(condition.prop.name)}"
        return f"({column} IS NULL OR NOT {test})" if condition.op == "not" else test
    if condition.how == "link":
        link, other = condition.link, f"y{len(params.values)}"
        key = q(kinds()[link.other].key)

        def exists(keys: list[Any]) -> str:
            return (f"EXISTS {{ MATCH {_pattern(var, link, other)} WHERE {other}.{key} IN {params.add(keys)}"
                    f"{_subset(link, other, params)} }}")
        if condition.op == "all":
            return "(" + " AND ".join(exists(value.keys) for value in condition.values) + ")"
        test = exists(_keys(condition))
        return f"NOT {test}" if condition.op == "not" else test
    tests = [_span(var, span, condition.distance or 0, params) for span in condition.spans]
    if condition.band:
        tests.append(_band(f"{var}.cytoband", condition.band, params))
    joined = "(" + (" AND " if condition.op == "all" else " OR ").join(tests) + ")"
    return f"NOT {joined}" if condition.op == "not" else joined


def _where(var: str, bound: BoundPlan, params: _Params, conditions: list[BoundCondition] | None = None,
           named: bool = False, scope: str | None = "listed") -> str:
    """WHERE over the plan's conditions (or `conditions`), its named records when `named`, and the kind's
    list scope: `listed` keeps the records lists hold, `others` the ones they leave out, None both."""
    kind = bound.kind
    tests = [condition_expr(var, c, kind, params) for c in (bound.where if conditions is None else conditions)]
    if named and bound.names:
        tests.insert(0, f"{var}.{q(kind.key)} IN {params.add([k for n in bound.names for k in n.keys])}")
    elif scope and kind.table.listed:
        tests.append(f"{var}.{q(kind.table.listed)} IS {'NOT ' if scope == 'listed' else ''}NULL")
    return (" WHERE " + " AND ".join(tests)) if tests else ""


def _others(bound: BoundPlan, params: _Params) -> "Query | None":
    """How many records match but are left out of lists (loci HGNC does not name)."""
    if not bound.kind.table.listed or bound.names:
        return None
    where = _where("x", bound, params, scope="others")
    return Query(f"MATCH (x:{bound.kind.label}){where} RETURN count(DISTINCT x) AS others", params.values, "count")


def _show(var: str, kind: Kind, prefix: str = "") -> str:
    columns = kind.table.show or (kind.key,)
    return ", ".join(f"{var}.{q(c)} AS {q(prefix + c)}" for c in columns)


def _order(kind: Kind) -> str:
    """ORDER BY over the shown columns: by position where records have one, else by title."""
    shown = kind.table.show or (kind.key,)
    wanted = ["chromosome", "start", kind.title] if kind.located else [kind.title]
    return ", ".join(q(c) for c in wanted if c in shown) or "`key`"


@dataclass(frozen=True)
class Page:
    """Which rows of a list to read: at most `size` (never more than MAX_ROWS) after the first `offset`."""
    offset: int = 0
    size: int = MAX_ROWS

    def __post_init__(self):
        if self.offset < 0 or not 1 <= self.size <= MAX_ROWS:
            raise GeneverseError(f"A page is an offset of 0 or more and 1 to {MAX_ROWS} rows.")


def _limit(bound: BoundPlan, page: Page) -> str:
    size = min(bound.plan.limit or MAX_ROWS, page.size)
    return f"SKIP {page.offset} LIMIT {size}" if page.offset else f"LIMIT {size}"


def _records(bound: BoundPlan, params: _Params, page: Page) -> Query:
    kind, match = bound.kind, f"MATCH (x:{bound.kind.label})"
    where = _where("x", bound, params, named=True)
    cypher = (f"{match}{where} RETURN DISTINCT x.{q(kind.key)} AS `key`, {_show('x', kind)} "
              f"ORDER BY {_order(kind)} {_limit(bound, page)}")
    total = Query(f"{match}{where} RETURN count(DISTINCT x) AS total", params.values, "count")
    return Query(cypher, params.values, "records", total, _others(bound, params))


def _group_level(bound: BoundPlan) -> tuple[list[BoundCondition], list[BoundCondition]]:
    """Conditions on the records, and conditions on the groups of an asked property: once any condition on a
    property says 'not' or 'all' ('biosamples with CTCF but not POLR2A'), every condition on that property
    is about the group's set of values."""
    grouped = {c.on for c in bound.where if c.how == "property" and c.op in {"not", "all"}}
    return ([c for c in bound.where if c.on not in grouped or c.how != "property"],
            [c for c in bound.where if c.on in grouped and c.how == "property"])


def _group_hits(condition: BoundCondition, kind: Kind, params: _Params, at: int) -> tuple[list[str], str]:
    """Per value of a group-level condition, an aggregate that is 1 when some record of the group holds it;
    and the test over those aggregates."""
    hits, columns = [], []
    for value in condition.values:
        name = f"hit{at + len(hits)}"
        test = _value_test("x", condition, value.keys, kind, params)
        columns.append(f"max(CASE WHEN {test} THEN 1 ELSE 0 END) AS {name}")
        hits.append(f"{name} = 1")
    if condition.op == "not":
        return columns, "NOT (" + " OR ".join(hits) + ")"
    return columns, "(" + (" AND " if condition.op == "all" else " OR ").join(hits) + ")"


def _values(bound: BoundPlan, params: _Params, page: Page, count: bool = False) -> Query:
    """The distinct values of the asked property over the set, each with how many records hold it."""
    kind, ask = bound.kind, bound.plan.ask
    prop = kind.properties[ask]
    records, groups = _group_level(bound)
    match = f"MATCH (x:{kind.label}){_where('x', bound, params, records, named=True)}"
    value = "x." + q(ask)
    if prop.type == "string[]":
        match += f" UNWIND x.{q(ask)} AS listed"
        value = "listed"
    unit = kind.name + "s"
    if groups:
        columns, tests = [], []
        for condition in groups:
            hit_columns, test = _group_hits(condition, kind, params, len(columns))
            columns += hit_columns
            tests.append(test)
        head = (f"{match} WITH {value} AS {q(ask)}, count(DISTINCT x) AS {unit}, {', '.join(columns)} "
                f"WHERE {' AND '.join(tests)}")
        if count:
            return Query(f"{head} RETURN count({q(ask)}) AS {q(ask + '_count')}", params.values, "count")
        total = Query(f"{head} RETURN count({q(ask)}) AS total", params.values, "count")
        return Query(f"{head} AND {q(ask)} IS NOT NULL RETURN {q(ask)}, {unit} ORDER BY {unit} DESC, {q(ask)} "
                     f"{_limit(bound, page)}", params.values, "values", total)
    if count:
        return Query(f"{match} RETURN count(DISTINCT {value}) AS {q(ask + '_count')}", params.values, "count")
    total = Query(f"{match} RETURN count(DISTINCT {value}) AS total", params.values, "count")
    not_null = f" WITH {value} AS {q(ask)}, x WHERE {q(ask)} IS NOT NULL"
    return Query(f"{match}{not_null} RETURN {q(ask)}, count(DISTINCT x) AS {unit} ORDER BY {unit} DESC, {q(ask)} "
                 f"{_limit(bound, page)}", params.values, "values", total)


def _linked(bound: BoundPlan, params: _Params, page: Page, count: bool = False) -> Query:
    """Records of the asked linked kind, each with how many records of the set it links to."""
    kind, link = bound.kind, bound.kind.links[bound.plan.ask]
    other = kinds()[link.other]
    where = _where("x", bound, params, named=True)
    subset = _subset(link, "y", params, shown=True).replace(" AND ", " WHERE ", 1)
    head = f"MATCH (x:{kind.label}){where} MATCH {_pattern('x', link, 'y', shown=True)}{subset}"
    unit = kind.name + "s"
    if count:
        return Query(f"{head} RETURN count(DISTINCT y) AS {q(link.field + '_count')}", params.values, "count")
    total = Query(f"{head} RETURN count(DISTINCT y) AS total", params.values, "count")
    return Query(f"{head} RETURN y.{q(other.key)} AS `key`, {_show('y', other)}, count(DISTINCT x) AS {unit} "
                 f"ORDER BY {unit} DESC, {q(other.title)} {_limit(bound, page)}", params.values, "linked", total)


def _per_record(bound: BoundPlan, params: _Params) -> Query:
    """get / compare: each named record with the asked property, or with its linked records."""
    kind, ask = bound.kind, bound.plan.ask
    named = f"MATCH (x:{kind.label}) WHERE x.{q(kind.key)} IN {params.add([k for n in bound.names for k in n.keys])}"
    head = f"x.{q(kind.key)} AS `key`, x.{q(kind.title)} AS `title`"
    if ask is None:
        columns = ", ".join(f"x.{q(p)} AS {q(p)}" for p in kind.properties if p not in {kind.key, "title"})
        return Query(f"{named} RETURN {head}, {columns}", params.values, "record")
    if ask in kind.properties:
        return Query(f"{named} RETURN {head}, x.{q(ask)} AS {q(ask)}", params.values, "values")
    if ask == LOCATION:
        return Query(f"{named} RETURN {head}, x.chromosome AS chromosome, x.start AS start, x.`end` AS `end`, "
                     "x.strand AS strand, x.assembly AS assembly", params.values, "locations")
    link = kind.links[ask]
    other = kinds()[link.other]
    subset = _subset(link, "y", params, shown=True).replace(" AND ", " WHERE ", 1)
    return Query(f"{named} MATCH {_pattern('x', link, 'y', shown=True)}{subset} RETURN {head}, y.{q(other.key)} AS `other_key`, "
                 f"{_show('y', other, 'other_')} ORDER BY `title`, {q('other_' + other.title)}", params.values,
                 "linked")


def _verdicts(bound: BoundPlan, params: _Params) -> Query:
    """check: each named record, whether every condition holds, and the values the conditions look at."""
    kind = bound.kind
    named = f"MATCH (x:{kind.label}) WHERE x.{q(kind.key)} IN {params.add([k for n in bound.names for k in n.keys])}"
    tests = [f"{condition_expr('x', c, kind, params)} AS {q(f'holds{i}')}" for i, c in enumerate(bound.where)]
    shown = {c.prop.name for c in bound.where if c.how == "property"} | (
        {"chromosome", "start", "end"} if any(c.how == "location" for c in bound.where) else set())
    columns = "".join(f", x.{q(p)} AS {q(p)}" for p in sorted(shown))
    return Query(f"{named} RETURN x.{q(kind.key)} AS `key`, x.{q(kind.title)} AS `title`{columns}, "
                 + ", ".join(tests), params.values, "verdicts")


def _rank(bound: BoundPlan, params: _Params) -> Query:
    plan, kind = bound.plan, bound.kind
    where = _where("x", bound, params, named=True)
    # rows past the limit are read so that those tied with the last can be kept (tools.query.answer)
    match, unit, limit = f"MATCH (x:{kind.label}){where}", kind.name + "s", min(plan.limit or 1, MAX_ROWS) + TIES
    direction = "DESC" if plan.order == "desc" else ""
    if plan.by:
        if plan.by in kind.properties:
            prop = kind.properties[plan.by]
            value = f"x.{q(plan.by)}"
            if prop.type == "string[]":
                match += f" UNWIND x.{q(plan.by)} AS listed"
                value = "listed"
            return Query(f"{match} WITH {value} AS {q(plan.by)}, x WHERE {q(plan.by)} IS NOT NULL RETURN {q(plan.by)}, "
                         f"count(DISTINCT x) AS {unit} ORDER BY {unit} {direction}, {q(plan.by)} LIMIT {limit}",
                         params.values, "groups")
        link = kind.links[plan.by]
        other = kinds()[link.other]
        subset = _subset(link, "y", params, shown=True).replace(" AND ", " WHERE ", 1)
        return Query(f"{match} MATCH {_pattern('x', link, 'y', shown=True)}{subset} RETURN y.{q(other.key)} AS `key`, "
                     f"{_show('y', other)}, count(DISTINCT x) AS {unit} ORDER BY {unit} {direction}, "
                     f"{q(other.title)} LIMIT {limit}", params.values, "groups")
    ask = plan.ask
    if ask in kind.properties:
        prop = kind.properties[ask]
        measure = f"size(x.{q(ask)})" if prop.type == "string[]" else f"x.{q(ask)}"
        return Query(f"{match} WITH x, {measure} AS measure WHERE measure IS NOT NULL RETURN x.{q(kind.key)} AS `key`, "
                     f"{_show('x', kind)}, measure AS {q(ask)} ORDER BY measure {direction}, x.{q(kind.title)} "
                     f"LIMIT {limit}", params.values, "ordered")
    link = kind.links[ask]
    subset = _subset(link, "y", params, shown=True)
    return Query(f"{match} WITH x, COUNT {{ MATCH {_pattern('x', link, 'y', shown=True)} WHERE true{subset} }} AS measure "
                 f"RETURN x.{q(kind.key)} AS `key`, {_show('x', kind)}, measure AS {q(ask + '_count')} "
                 f"ORDER BY measure {direction}, x.{q(kind.title)} LIMIT {limit}", params.values, "ordered")


def _nearest(bound: BoundPlan, params: _Params, anchor: Span) -> Query:
    kind = bound.kind
    if not kind.located:
        raise GeneverseError(f"A {kind.name} has no position to be near to.")
    others = [c for c in bound.where if not (c.how == "location" and anchor in c.spans)]
    conditions = _where("x", bound, params, others)
    near = [f"x.chromosome = {params.add(anchor.chromosome)}", "x.assembly = 'GRCh38'", "x.start IS NOT NULL"]
    if anchor.gene_id:
        near.append(f"x.{q(kind.key)} <> {params.add(anchor.gene_id)}")
    where = conditions + (" AND " if conditions else " WHERE ") + " AND ".join(near)
    start, end = params.add(anchor.start), params.add(anchor.end)
    distance = (f"CASE WHEN x.`end` < {start} THEN {start} - x.`end` WHEN x.start > {end} THEN x.start - {end} "
                "ELSE 0 END")
    return Query(f"MATCH (x:{kind.label}){where} WITH x, {distance} AS distance RETURN x.{q(kind.key)} AS `key`, "
                 f"{_show('x', kind)}, distance ORDER BY distance, x.start LIMIT {min(bound.plan.limit or 1, MAX_ROWS)}",
                 params.values, "nearest")


def compile_plan(bound: BoundPlan, anchor: Span | None = None, page: Page = Page()) -> Query:
    """The read query that answers a bound plan (graph operations only); lists read the rows of `page`."""
    plan, params = bound.plan, _Params()
    if plan.op == "nearest":
        if anchor is None:
            raise GeneverseError("Nearest to what? Name a gene or a position (chr7:117,500,000).")
        return _nearest(bound, params, anchor)
    if plan.op == "check":
        return _verdicts(bound, params) if bound.where else _per_record(bound, params)
    if plan.op in {"get", "compare"}:
        return _per_record(bound, params)
    if plan.op == "rank":
        return _rank(bound, params)
    counting = plan.op == "count"
    if plan.ask and plan.ask in bound.kind.properties:
        return _values(bound, params, page, count=counting)
    if plan.ask and plan.ask in bound.kind.links:
        return _linked(bound, params, page, count=counting)
    if plan.ask == LOCATION:
        raise GeneverseError("Ask for the chromosome, cytoband or coordinates of records, not their location.")
    if counting:
        return Query(f"MATCH (x:{bound.kind.label}){_where('x', bound, params, named=True)} "
                     f"RETURN count(DISTINCT x) AS {q(bound.kind.name + 's')}", params.values, "count",
                     others=_others(bound, params))
    return _records(bound, params, page)


def summarise(rows: list[dict[str, Any]], shown: int = 15) -> str:
    """One plain sentence over the rows of a query typed by a user."""
    if not rows:
        return "No matching records in the graph."
    if len(rows) == 1 and len(rows[0]) == 1:
        (label, value), = rows[0].items()
        return f"{value} {label.replace('_', ' ')}."
    first = next(iter(rows[0]))
    values = [str(r[first]) for r in rows[:shown]]
    more = f" and {len(rows) - shown} more" if len(rows) > shown else ""
    return f"{len(rows)} rows: {', '.join(values)}{more}."
