"""Route and answer accuracy of the agent on the held-out paraphrase set, per fact type and per phrasing.

    python -m evals.agent.bench_paraphrases [--questions evals/agent/paraphrases.jsonl] [--json]

Runs `GeneverseAgent.ask` in process (no language model) and prints a table: for each fact type the share of
questions sent to the right route and the share answered correctly (gold from the graph), and the same per
phrasing number (0 question, 1 imperative, 2 completion prompt, 3 terse, 4 lower case with typos, ...)."""

import argparse
import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from evals.agent.bench_ask import is_correct
from evals.agent.paraphrases import ROUTES

DEFAULT = Path(__file__).with_name("paraphrases.jsonl")


def evaluate(questions: list[dict[str, Any]], agent) -> dict[str, Any]:
    by_fact: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    by_phrasing: dict[int, list[tuple[bool, bool]]] = defaultdict(list)
    by_route: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    misses = []
    started = time.perf_counter()
    for q in questions:
        reply = agent.ask(q["question"]).model_dump(mode="json")
        expected = q.get("route") or ROUTES[q["fact"]]
        routed, correct = reply["route"] == expected, is_correct(q, reply)
        by_fact[q["fact"]].append((routed, correct))
        by_phrasing[q["phrasing"]].append((routed, correct))
        by_route[expected].append((routed, correct))
        if not correct:
            misses.append({"question": q["question"], "route": reply["route"], "expected": expected,
                           "answer": reply["answer"], "error": reply["error"]})
    elapsed = time.perf_counter() - started

    def share(pairs: list[tuple[bool, bool]], i: int) -> float:
        return round(sum(p[i] for p in pairs) / len(pairs), 4)

    every = [p for pairs in by_fact.values() for p in pairs]
    return {"questions": len(every), "route_accuracy": share(every, 0), "answer_accuracy": share(every, 1),
            "ms_per_question": round(1000 * elapsed / len(every), 1),
            "by_fact": {f: {"n": len(v), "route": share(v, 0), "answer": share(v, 1)} for f, v in sorted(by_fact.items())},
            "by_route": {r: {"n": len(v), "route": share(v, 0), "answer": share(v, 1)} for r, v in sorted(by_route.items())},
            "by_phrasing": {n: {"n": len(v), "route": share(v, 0), "answer": share(v, 1)}
                            for n, v in sorted(by_phrasing.items())},
            "misses": misses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=DEFAULT)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", type=int, default=0, help="print this many wrong answers")
    args = parser.parse_args()
    from agent.graph import GeneverseAgent
    from kg.graph import open_graph

    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    report = evaluate(questions, GeneverseAgent(open_graph()))
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['questions']} questions: route {report['route_accuracy']:.3f}, answer {report['answer_accuracy']:.3f}, "
          f"{report['ms_per_question']} ms per question")
    print(f"{'fact type':18} {'n':>4} {'route':>6} {'answer':>6}")
    for fact, row in report["by_fact"].items():
        print(f"{fact:18} {row['n']:4d} {row['route']:6.3f} {row['answer']:6.3f}")
    print(f"{'route':18} {'n':>4} {'route':>6} {'answer':>6}")
    for route, row in report["by_route"].items():
        print(f"{route:18} {row['n']:4d} {row['route']:6.3f} {row['answer']:6.3f}")
    print(f"{'phrasing':18} {'n':>4} {'route':>6} {'answer':>6}")
    for number, row in report["by_phrasing"].items():
        print(f"{number:<18} {row['n']:4d} {row['route']:6.3f} {row['answer']:6.3f}")
    for miss in report["misses"][:args.misses]:
        print(f"  {miss['question']!r}: {miss['route']} (expected {miss['expected']}) -> {miss['answer']!r} "
              f"{miss['error'] or ''}")


if __name__ == "__main__":
    main()
