"""Run a bound plan and answer with exactly what it asked: a value, a list, a count, a yes or no, a
comparison, a ranking. The short `answer` is of the kind asked for; the `text` says it in a sentence with
the set it was about; rows are capped, with the total."""

from typing import Any

from pydantic import BaseModel, Field

from tools.query.bind import BoundCondition, BoundPlan, Span, bind
from tools.query.builder import MAX_ROWS, Page, Query, compile_plan
from tools.query.guard import execute
from tools.query.plan import LOCATION, Kind, Plan, compact, kinds, plural

SHOWN = 25  # values named in a sentence


class PlanResult(BaseModel):
    plan: dict[str, Any] = Field(description="the plan that ran, without its defaults")
    answer: str | None = Field(description="short answer of the kind asked for: a value, a list, a count, yes / no")
    text: str
    rows: list[dict[str, Any]] = []
    total: int | None = Field(None, description="rows there are in all; more than `rows` when capped")
    truncated: bool = False
    records: list[str] = Field([], description="graph records the answer rests on")
    cypher: str | None = None
    params: dict[str, Any] = {}
    notes: list[str] = Field([], description="how the question's names were linked")


# --- words ------------------------------------------------------------------------------------------------

def noun(kind_or_field: str, count: int = 2) -> str:
    """'go_process' -> 'GO processes'; 'cell_type', 1 -> 'cell type'."""
    words = {"go_term": ("GO term", "GO terms"), "go_process": ("GO biological process", "GO biological processes"),
             "go_function": ("GO molecular function", "GO molecular functions"),
             "go_component": ("GO cellular component", "GO cellular components"),
             "disease": ("condition", "conditions"), "track": ("Enformer track", "Enformer tracks"),
             "experiment": ("ENCODE experiment", "ENCODE experiments")}
    one, many = words.get(kind_or_field, (kind_or_field.replace("_", " "), kind_or_field.replace("_", " ") + "s"))
    return one if count == 1 else many


def prop_words(kind: Kind, prop: str) -> str:
    p = kind.properties.get(prop)
    return p.words[0] if p is not None and p.words else prop.replace("_", " ")


def values_of(kind: Kind, prop: str, count: int) -> str:
    """'targets', 'distinct strands': what `count` values of a property are called."""
    words = prop_words(kind, prop)
    if count == 1:
        return words
    return words if words.endswith("s") else plural(words)


def show_value(prop: str, value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if prop == "chromosome":
        return f"chr{value}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" + (" bp" if prop in {"length"} else "")
    return str(value)


def _listing(values: list[str], total: int | None = None) -> str:
    total = len(values) if total is None else total
    shown = ", ".join(values[:SHOWN])
    more = total - min(len(values), SHOWN)
    return shown + (f" and {more:,} more" if more > 0 else "")


def describe_condition(kind: Kind, condition: BoundCondition) -> str:
    values = " or ".join(v.label for v in condition.values) if condition.op != "all" else \
        " and ".join(v.label for v in condition.values)
    negated = "not " if condition.op == "not" else ""
    if condition.how == "location":
        if condition.distance:
            return f"{negated}within {condition.distance:,} bp of {values}"
        return f"{negated}{'in' if condition.band else 'overlapping'} {values}"
    if condition.how == "link":
        return f"{negated}{condition.link.reads} {noun(condition.on, 1)} {values}"
    if condition.op in {"lt", "gt"}:
        return f"with {prop_words(kind, condition.on)} {'under' if condition.op == 'lt' else 'over'} {values}"
    if condition.on == "chromosome":
        return f"{negated}on {values}"
    return f"with {prop_words(kind, condition.on)} {negated}{values}"


def describe_set(bound: BoundPlan, count: int = 2) -> str:
    """'genes in gene group Zinc fingers C2H2-type, on chr19'."""
    clauses = [describe_condition(bound.kind, c) for c in bound.where]
    return noun(bound.kind.name, count) + (" " + ", ".join(clauses) if clauses else "")


def _title(kind: Kind, row: dict[str, Any], prefix: str = "") -> str:
    value = row.get(prefix + kind.title) or row.get(prefix + "key")
    if kind.name == "cell_type" and row.get(prefix + "tissue"):
        value = f"{value} ({row[prefix + 'tissue']}, {row.get(prefix + 'dataset')})"
    if kind.name == "track" and row.get(prefix + "identifier"):  # a track by its identifier, not its index
        value = f"{row[prefix + 'identifier']} {value}"
    return str(value)


# --- running ------------------------------------------------------------------------------------------------

def _rows(query: Query, graph) -> list[dict[str, Any]]:
    return execute(query.cypher, graph, query.params)


def run_plan(plan: Plan, graph, page: Page = Page()) -> PlanResult:
    """Bind, compile, execute and answer a graph plan; a list holds the rows of `page`."""
    bound = bind(plan, graph)
    anchor = _anchor(bound, graph) if plan.op == "nearest" else None
    query = compile_plan(bound, anchor, page)
    rows = _rows(query, graph)
    total = _rows(query.total, graph)[0]["total"] if query.total is not None else None
    answer, text, records, *shown_rows = ANSWERS[query.shape](bound, rows, total, anchor)
    if shown_rows:  # the answer is made of other rows than the query's (what two records share)
        rows = shown_rows[0]
        total = len(rows)
    others = _rows(query.others, graph)[0]["others"] if query.others is not None else 0
    if others:
        text += (f" Another {others:,} {noun(bound.kind.name, others)} that HGNC does not name (NCBI Gene or "
                 "GENCODE only) also match.")
    notes = bound.notes
    if notes:
        text += " (" + "; ".join(notes) + ".)"
    shown = rows[:MAX_ROWS]
    if page.offset and query.total is not None:
        text += f" (Rows {page.offset + 1:,} to {page.offset + len(shown):,} of {total:,}.)"
    return PlanResult(plan=compact(plan), answer=answer, text=text, rows=shown,
                      total=total if total is not None else len(rows),
                      truncated=(total or len(rows)) > page.offset + len(shown), records=records[:MAX_ROWS],
                      cypher=query.cypher, params=query.params, notes=notes)


def _anchor(bound: BoundPlan, graph) -> Span:
    from tools.query.bind import link_location

    if bound.names:
        span = link_location(graph, bound.names[0].keys[0] if bound.kind.name != "gene" else bound.names[0].label)
        if isinstance(span, Span):
            bound.names = []
            return span
    for condition in bound.where:
        if condition.how == "location" and condition.spans:
            return condition.spans[0]
    from kg.errors import GeneverseError

    raise GeneverseError("Nearest to what? Name a gene or a position (chr7:117,500,000).")


# --- answers by the shape of the rows --------------------------------------------------------------------

def _records_answer(bound: BoundPlan, rows, total, _anchor):
    kind = bound.kind
    titles = [_title(kind, r) for r in rows]
    if not rows:
        return "none", f"No {describe_set(bound)} in the graph.", []
    text = f"{total:,} {describe_set(bound, total)}: {_listing(titles, total)}."
    return ", ".join(titles[:MAX_ROWS]), text, [str(r["key"]) for r in rows]


def _values_answer(bound: BoundPlan, rows, total, _anchor):
    kind, ask, plan = bound.kind, bound.plan.ask, bound.plan
    if plan.op in {"get", "compare", "check"}:
        return _per_record_values(bound, rows)
    unit = kind.name + "s"
    listed = [f"{show_value(ask, r[ask])} ({r[unit]} {noun(kind.name, r[unit])})" for r in rows]
    if not rows:
        return "none", f"No {prop_words(kind, ask)} of {describe_set(bound)} in the graph.", []
    text = f"{total:,} {values_of(kind, ask, total)} of {describe_set(bound)}: {_listing(listed, total)}."
    return ", ".join(show_value(ask, r[ask]) for r in rows), text, []


def _per_record_values(bound: BoundPlan, rows):
    kind, ask, plan = bound.kind, bound.plan.ask, bound.plan
    by_key = {r["key"]: r for r in rows}
    ordered = [by_key[k] for n in bound.names for k in n.keys if k in by_key]
    records = [str(r["key"]) for r in ordered]
    words = prop_words(kind, ask)
    if plan.op == "get":
        parts = []
        for r in ordered:
            value = r[ask]
            empty = value is None or value == []
            parts.append(f"The graph has no {words} for {r['title']}" if empty else
                         f"The {words} of {r['title']} {'are' if isinstance(value, list) and len(value) > 1 else 'is'} "
                         f"{show_value(ask, value)}")
        answers = [show_value(ask, r[ask]) if r[ask] not in (None, []) else "NA" for r in ordered]
        return "; ".join(answers), ". ".join(parts) + ".", records
    values = {r["title"]: r[ask] for r in ordered}
    if plan.op == "check" and len(values) == 1:  # 'does GENE have a MANE transcript?'
        title, value = next(iter(values.items()))
        has = value not in (None, [], "")
        return ("yes" if has else "no"), (f"Yes: the {words} of {title} is {show_value(ask, value)}." if has else
                                          f"No: the graph has no {words} for {title}."), records
    if any(v is None or v == [] for v in values.values()):
        missing = [t for t, v in values.items() if v is None or v == []]
        return None, f"Cannot compare: the graph has no {words} for {', '.join(missing)}.", records
    prop = kind.properties[ask]
    shown = "; ".join(f"{t}: {show_value(ask, v)}" for t, v in values.items())
    if prop.type == "int":
        pick = (max if plan.order == "desc" else min)(values, key=values.get)
        extreme = "largest" if plan.order == "desc" else "smallest"
        if len(set(values.values())) == 1:
            return ("no" if plan.op == "check" else "same"), f"They have the same {words} ({shown}).", records
        if plan.op == "check":  # 'is A longer than B?': is the first named the extreme one
            first = next(iter(values))
            yes = first == pick
            return ("yes" if yes else "no"), (f"{'Yes' if yes else 'No'}: {pick} has the {extreme} {words} "
                                              f"({shown})."), records
        return pick, f"{pick} has the {extreme} {words} ({shown}).", records
    if prop.type == "string[]":
        sets = [set(v) for v in values.values()]
        shared = sorted(set.intersection(*sets))
        verdict = "Yes" if shared else "No"
        answer = ("yes" if shared else "no") if plan.op == "check" else (", ".join(shared) or "none")
        return answer, (f"{verdict}: they share {len(shared)} {words}"
                        f"{': ' + _listing(shared) if shared else ''} ({shown})."), records
    same = len({str(v) for v in values.values()}) == 1
    return ("yes" if same else "no"), (f"{'Yes' if same else 'No'}: {'the same' if same else 'different'} {words} "
                                       f"({shown})."), records


def _linked_answer(bound: BoundPlan, rows, total, _anchor):
    plan, kind = bound.plan, bound.kind
    link = kind.links[plan.ask]
    other = kinds()[link.other]
    if plan.op in {"get", "compare", "check"}:
        return _per_record_linked(bound, rows)
    unit = kind.name + "s"
    listed = [f"{_title(other, r)} ({r[unit]} {noun(kind.name, r[unit])})" for r in rows]
    if not rows:
        return "none", f"No {noun(plan.ask)} {link.reads} {describe_set(bound)} in the graph.", []
    return (", ".join(_title(other, r) for r in rows),
            f"{total:,} {noun(plan.ask, total)} {link.reads} {describe_set(bound)}: {_listing(listed, total)}.",
            [str(r["key"]) for r in rows])


def _per_record_linked(bound: BoundPlan, rows):
    plan, kind = bound.plan, bound.kind
    other = kinds()[kind.links[plan.ask].other]
    reads = kind.links[plan.ask].reads
    members: dict[str, dict[str, str]] = {}
    titles = {}
    for r in rows:
        titles[r["key"]] = r["title"]
        members.setdefault(r["key"], {})[str(r["other_key"])] = _title(other, r, "other_")
    ordered = [k for n in bound.names for k in n.keys]
    records = [str(k) for k in ordered]
    if plan.op == "get":
        parts, answers = [], []
        for key in ordered:
            linked = members.get(key, {})
            title = titles.get(key) or next(n.label for n in bound.names if key in n.keys)
            if linked:
                parts.append(f"{title} is {reads} {len(linked)} {noun(plan.ask, len(linked))}: "
                             f"{_listing(list(linked.values()))}")
            else:
                parts.append(f"The graph has no {noun(plan.ask)} {reads} {title}")
            answers.append("; ".join(list(linked.values())[:MAX_ROWS]) or "NA")
        return " | ".join(answers), ". ".join(parts) + ".", records + [k for m in members.values() for k in m][:50]
    sets = [set(members.get(k, {})) for k in ordered]
    shared = set.intersection(*sets) if sets else set()
    names = {k: t for m in members.values() for k, t in m.items()}
    labels = [titles.get(k) or next(n.label for n in bound.names if k in n.keys) for k in ordered]
    counts = ", ".join(f"{label} {len(s)}" for label, s in zip(labels, sets))
    if not shared:
        return ("no" if plan.op == "check" else "none"), \
            f"No: {' and '.join(labels)} share no {noun(plan.ask)} ({counts}).", records, []
    listed = sorted(names[k] for k in shared)
    shared_rows = [{"key": k, other.title: names[k]} for k in sorted(shared, key=lambda k: names[k])]
    text = (f"Yes: {' and '.join(labels)} share {len(shared)} {noun(plan.ask, len(shared))} ({counts}): "
            f"{_listing(listed)}.")
    return ("yes" if plan.op == "check" else ", ".join(listed[:MAX_ROWS]), text, records + sorted(shared)[:50],
            shared_rows)


def _count_answer(bound: BoundPlan, rows, total, _anchor):
    (_, value), = rows[0].items()
    plan = bound.plan
    what = describe_set(bound, value)
    if plan.ask:
        what = (noun(plan.ask, value) if plan.ask in bound.kind.links else values_of(bound.kind, plan.ask, value)) \
            + f" of {describe_set(bound)}"
    return str(value), f"{value:,} {what}.", []


def _verdicts_answer(bound: BoundPlan, rows, total, _anchor):
    kind = bound.kind
    by_key = {r["key"]: r for r in rows}
    parts, verdicts = [], []
    for name in bound.names:
        row = by_key.get(name.keys[0])
        if row is None:
            continue
        holds = [bool(row[f"holds{i}"]) for i in range(len(bound.where))]
        yes = all(holds)
        verdicts.append(yes)
        said = ", ".join(describe_condition(kind, c) for c in bound.where)
        facts = [f"{prop_words(kind, c.on)} {show_value(c.on, row.get(c.on))}" for c, ok in zip(bound.where, holds)
                 if not ok and c.how == "property"]
        because = f" ({row['title']} has {'; '.join(facts)})" if facts else ""
        parts.append(f"{'Yes' if yes else 'No'}: {row['title']} is {'' if yes else 'not '}{said}{because}")
    answer = "yes" if verdicts and all(verdicts) else "no"
    return answer, ". ".join(parts) + ".", [str(r["key"]) for r in rows]


def _with_ties(rows: list[dict], limit: int, measure: str) -> list[dict]:
    """The first `limit` rows and every later row tied with the last of them."""
    if len(rows) <= limit:
        return rows
    last = rows[limit - 1][measure]
    return rows[:limit] + [r for r in rows[limit:] if r[measure] == last]


def _groups_answer(bound: BoundPlan, rows, total, _anchor):
    plan, kind = bound.plan, bound.kind
    unit = kind.name + "s"
    rows = _with_ties(rows, plan.limit or 1, unit)
    if not rows:
        return "none", f"No {describe_set(bound)} in the graph to rank.", []
    if plan.by in kind.properties:
        label = [show_value(plan.by, r[plan.by]) for r in rows]
        what = prop_words(kind, plan.by)
    else:
        other = kinds()[kind.links[plan.by].other]
        label = [_title(other, r) for r in rows]
        what = noun(plan.by, 1)
    ranked = ", ".join(f"{name} ({r[unit]:,})" for name, r in zip(label, rows))
    most = "most" if plan.order == "desc" else "fewest"
    tied = f" ({len(rows) - (plan.limit or 1)} tied with the last)" if len(rows) > (plan.limit or 1) else ""
    if len(rows) == 1:
        text = f"The {what} with the {most} {describe_set(bound)} is {label[0]} ({rows[0][unit]:,})."
    else:
        text = f"The {len(rows)} {what} values with the {most} {describe_set(bound)}{tied}: {ranked}."
    return ", ".join(label), text, [str(r.get("key", "")) for r in rows if r.get("key")], rows


def _ordered_answer(bound: BoundPlan, rows, total, _anchor):
    plan, kind = bound.plan, bound.kind
    measure = next(c for c in rows[0] if c not in {"key", *(kind.table.show or ())}) if rows else plan.ask
    rows = _with_ties(rows, plan.limit or 1, measure) if rows else rows
    if not rows:
        return "none", f"No {describe_set(bound)} has a {plan.ask.replace('_', ' ')}.", []
    what = noun(plan.ask) if plan.ask in kind.links else prop_words(kind, plan.ask)
    extreme = "most" if plan.order == "desc" else "fewest"
    if plan.ask in kind.properties:
        extreme = "largest" if plan.order == "desc" else "smallest"
        if kind.properties[plan.ask].type == "string[]":
            extreme = "most" if plan.order == "desc" else "fewest"
    titles = [_title(kind, r) for r in rows]
    ranked = ", ".join(f"{t} ({show_value(plan.ask, r[measure])})" for t, r in zip(titles, rows))
    if len(rows) == 1:
        text = f"Of the {describe_set(bound)}, {titles[0]} has the {extreme} {what} ({show_value(plan.ask, rows[0][measure])})."
    else:
        text = f"The {len(rows)} {describe_set(bound)} with the {extreme} {what}: {ranked}."
    return ", ".join(titles), text, [str(r["key"]) for r in rows], rows


def _nearest_answer(bound: BoundPlan, rows, total, anchor: Span):
    kind = bound.kind
    if not rows:
        return "none", f"No {describe_set(bound)} near {anchor.label}.", []
    titles = [_title(kind, r) for r in rows]
    listed = ", ".join(f"{t} ({'overlapping' if r['distance'] == 0 else format(r['distance'], ',') + ' bp away'})"
                       for t, r in zip(titles, rows))
    if len(rows) == 1:
        text = f"The nearest {noun(kind.name, 1)} to {anchor.label} is {listed}."
    else:
        text = f"The {len(rows)} {noun(kind.name)} nearest to {anchor.label}: {listed}."
    return ", ".join(titles), text, [str(r["key"]) for r in rows]


def _record_answer(bound: BoundPlan, rows, total, _anchor):
    """get without an attribute: each named record with every property it has."""
    kind = bound.kind
    parts = [f"{r['title']}: " + "; ".join(f"{prop_words(kind, p)} {show_value(p, r[p])}" for p in kind.properties
                                          if p not in {kind.key, "title", kind.title} and r.get(p) not in (None, []))
             for r in rows]
    return ", ".join(str(r["title"]) for r in rows), ". ".join(parts) + ".", [str(r["key"]) for r in rows]


def _locations_answer(bound: BoundPlan, rows, total, _anchor):
    by_key = {r["key"]: r for r in rows}
    ordered = [by_key[k] for n in bound.names for k in n.keys if k in by_key]
    spans, parts = [], []
    for r in ordered:
        if r["chromosome"] and r["start"] and r["end"]:
            span = f"chr{r['chromosome']}:{r['start']:,}-{r['end']:,}"
            spans.append(span)
            parts.append(f"{r['title']} spans {span} ({r['strand'] or '?'} strand, {r['assembly'] or 'GRCh38'})")
        else:
            spans.append("NA")
            parts.append(f"The graph has no coordinates for {r['title']}")
    return "; ".join(spans), ". ".join(parts) + ".", [str(r["key"]) for r in ordered]


ANSWERS = {"locations": _locations_answer, "record": _record_answer, "records": _records_answer, "values": _values_answer, "linked": _linked_answer, "count": _count_answer,
           "verdicts": _verdicts_answer, "groups": _groups_answer, "ordered": _ordered_answer,
           "nearest": _nearest_answer}


__all__ = ["LOCATION", "PlanResult", "run_plan"]
