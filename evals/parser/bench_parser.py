"""The semantic parser against the rules, on the synthetic test split (plan shapes and values held out of
training) and on a hand-written first-day family: exact plan match, answer match, and the model's latency.

    python -m evals.parser.bench_parser --data GENEVERSE_HOME/finetune/parser/data/test.jsonl \\
        --family evals/agent/firstday_c.jsonl [--limit N] [--out evals/parser/report.json]

Rows: the rules alone (a plan only when they are confident), the model alone, and both (the rules when
confident, else the model), as the agent runs them. A plan matches when it equals the gold plan with names and
values compared case-insensitively; an answer matches when the two plans give the same short answer."""

import argparse
import json
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

PARSERS = ("rules", "model", "both")


def _canonical(plan: dict[str, Any] | None) -> str | None:
    """A plan as text to compare: names and values in any case, conditions in any order."""
    if plan is None:
        return None
    where = sorted(json.dumps(condition, sort_keys=True).lower() for condition in plan.get("where", []))
    return json.dumps({**plan, "where": where}, sort_keys=True).lower()


def _answer(plan, graph) -> str | None:
    """The short answer a plan gives; a tool or refusal is its own answer."""
    from kg.errors import GeneverseError
    from tools.query.answer import run_plan

    if plan is None:
        return None
    if plan.op in {"tool", "decline"}:
        return _canonical(plan.model_dump(exclude_defaults=True, mode="json"))
    try:
        return (run_plan(plan, graph).answer or "").lower()
    except GeneverseError:
        return None


def synthetic(path: Path, agent, model_parser, graph, limit: int | None) -> dict[str, Any]:
    from agent.parse import CONFIDENT
    from tools.query.plan import Plan

    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if limit is not None and limit < len(records):  # an even sample across shapes, the same every run
        records = random.Random(0).sample(records, limit)
    scores: dict[str, dict[str, list[bool]]] = {p: defaultdict(list) for p in PARSERS}
    latencies = []
    for record in records:
        gold_plan = Plan.model_validate_json(record["output"])
        gold = _canonical(gold_plan.model_dump(exclude_defaults=True, mode="json"))
        gold_answer = _answer(gold_plan, graph)
        shape = record["source"].removeprefix("parser:")
        rules = agent.understand(record["instruction"])
        rules_plan = rules.plan if rules.confidence >= CONFIDENT else None
        started = time.perf_counter()
        model = model_parser.parse(record["instruction"], graph)
        latencies.append(time.perf_counter() - started)
        for name, plan in (("rules", rules_plan), ("model", model.plan),
                           ("both", rules_plan if rules_plan is not None else model.plan)):
            exact = plan is not None and _canonical(plan.model_dump(exclude_defaults=True, mode="json")) == gold
            answered = plan is not None and (exact or _answer(plan, graph) == gold_answer)
            scores[name]["plan"].append(exact)
            scores[name]["answer"].append(answered)
            scores[name][f"answer:{shape}"].append(answered)
    return {"n": len(records), "latency_p50_s": statistics.median(latencies),
            "latency_p95_s": sorted(latencies)[int(0.95 * (len(latencies) - 1))],
            "rows": {name: {key: round(sum(v) / len(v), 3) for key, v in s.items()} for name, s in scores.items()}}


def family(path: Path, graph, model_parser) -> dict[str, Any]:
    from agent.graph import GeneverseAgent
    from evals.agent.bench_firstday import judge

    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = {}
    for name in PARSERS:
        agent = GeneverseAgent(graph, model_parser=model_parser if name == "both" else None)
        if name == "model":
            agent.understand = lambda q, e=None: model_parser.parse(q, graph)  # type: ignore[method-assign]
        by_kind: dict[str, list[bool]] = defaultdict(list)
        by_model = 0
        for item in items:
            reply = agent.ask(item["question"])
            by_kind[item["kind"]].append(judge(reply, item["gold"]))
            by_model += reply.provenance.parser == "model"
        rows[name] = {"right": sum(sum(v) for v in by_kind.values()), "n": len(items), "plans_by_model": by_model,
                      "by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by_kind.items())}}
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="synthetic test split (JSONL)")
    parser.add_argument("--family", type=Path, default=Path("evals/agent/firstday_c.jsonl"))
    parser.add_argument("--limit", type=int, default=None, help="a seeded sample of N synthetic pairs")
    parser.add_argument("--out", type=Path, default=None, help="write the report as JSON")
    args = parser.parse_args()
    from agent.graph import GeneverseAgent
    from agent.model_parser import ModelParser
    from kg.graph import open_graph

    graph = open_graph()
    model_parser = ModelParser()
    report = {"synthetic": synthetic(args.data, GeneverseAgent(graph), model_parser, graph, args.limit),
              "family": {"path": str(args.family), **family(args.family, graph, model_parser)}}
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    syn = report["synthetic"]
    print(f"synthetic test ({syn['n']} pairs), model latency p50 {syn['latency_p50_s']:.2f} s, "
          f"p95 {syn['latency_p95_s']:.2f} s")
    for name in PARSERS:
        row = syn["rows"][name]
        print(f"  {name:6s} plan {row['plan']:.3f}  answer {row['answer']:.3f}")
    print(f"family {args.family}:")
    for name in PARSERS:
        row = report["family"][name]
        print(f"  {name:6s} {row['right']}/{row['n']} (plans by the model: {row['plans_by_model']}) {row['by_kind']}")


if __name__ == "__main__":
    main()
