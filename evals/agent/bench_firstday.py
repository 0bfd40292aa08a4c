"""Score the agent on a first-day question family (`evals/agent/firstday.py`), by kind of question.

    python -m evals.agent.bench_firstday --questions evals/agent/firstday_b.jsonl [--parsers rules|model|both]
        [--misses] [--json]

A reply is right when its short answer (and rows) are of the kind the gold asks for and agree with it:
every gold value named (`values`), the listed records equal to the gold set within 10% either way (`set`;
lists longer than the row cap are judged by their total and the rows shown), the number (`number`), yes or
no (`yesno`), the named record first (`name`), one of the gold values named (`values_any`), or no answer at
all (`decline`)."""

import argparse
import json
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

SET_TOLERANCE = 0.1


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def _listed(reply) -> set[str]:
    """Names the reply lists: every value of its rows, else the comma-separated short answer."""
    if reply.rows:
        return {_norm(v) for row in reply.rows for v in row.values() if isinstance(v, (str, int))}
    return {_norm(v) for v in re.split(r",\s*|;\s*", reply.answer or "") if v}


def judge(reply, gold: dict) -> bool:
    kind = gold["type"]
    if kind == "decline":
        return reply.answer is None
    if reply.answer is None:
        return False
    said = _norm(f"{reply.answer} {reply.text}")
    if kind == "values":
        return all(_norm(v) in said for v in gold["values"])
    if kind == "value":
        return _norm(gold["value"]) in said
    if kind == "values_any":
        return any(_norm(v) in said for v in gold["values"])
    if kind == "number":  # 'chr4:109,848,202-109,872,315' answers the start and the end
        return gold["value"] in {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", reply.answer)}
    if kind == "yesno":
        answer = _norm(reply.answer)
        return (answer in {"yes", "true"}) if gold["value"] else (answer in {"no", "false", "na", "none"})
    if kind == "name":
        first = re.split(r",\s*|;\s*", reply.answer)[0]
        return _norm(first) == _norm(gold["value"])
    if kind == "set":
        wanted = {_norm(v) for v in gold["values"]}
        listed = _listed(reply)
        if not wanted:
            return _norm(reply.answer) in {"none", ""} or not reply.rows
        total = getattr(reply, "rows_total", None)
        total = total if total is not None else len(reply.rows or listed)
        shown = [row for row in (reply.rows or [])]
        hits = sum(1 for row in shown if any(_norm(v) in wanted for v in row.values() if isinstance(v, str)))
        precision = hits / len(shown) if shown else (len(listed & wanted) / len(listed) if listed else 0.0)
        if len(wanted) > len(shown) and shown:  # the reply shows the first rows: judge the total and those rows
            return abs(total - len(wanted)) <= SET_TOLERANCE * len(wanted) and precision >= 1 - SET_TOLERANCE
        recall = len(wanted & listed) / len(wanted)
        return recall >= 1 - SET_TOLERANCE and precision >= 1 - SET_TOLERANCE
    raise ValueError(f"unknown gold type {kind!r}")


def run(questions: Path, parsers: str = "both", show_misses: bool = False) -> dict[str, Any]:
    from agent.graph import GeneverseAgent
    from kg.graph import open_graph

    items = [json.loads(line) for line in questions.read_text().splitlines() if line.strip()]
    graph = open_graph()
    model_parser = None
    if parsers in {"model", "both"}:
        from agent.model_parser import ModelParser

        model_parser = ModelParser()
    agent = GeneverseAgent(graph, model_parser=model_parser)
    if parsers == "model":
        agent.understand = lambda q, e=None: model_parser.parse(q, graph)  # type: ignore[method-assign]
    by_kind: dict[str, list[bool]] = defaultdict(list)
    answered_by: dict[str, int] = defaultdict(int)
    misses, seconds = [], []
    for item in items:
        started = time.perf_counter()
        reply = agent.ask(item["question"])
        seconds.append(time.perf_counter() - started)
        right = judge(reply, item["gold"])
        by_kind[item["kind"]].append(right)
        parser = getattr(reply.provenance, "parser", None)
        answered_by[parser or "none"] += 1
        if not right:
            misses.append({"id": item["id"], "question": item["question"], "gold": item["gold"],
                           "answer": (reply.answer or "")[:200], "text": reply.text[:300], "route": reply.route,
                           "plan": getattr(reply.provenance, "plan", None), "parser": parser})
    report = {
        "questions": str(questions), "parsers": parsers, "n": len(items),
        "right": sum(sum(v) for v in by_kind.values()),
        "by_kind": {k: {"right": sum(v), "n": len(v)} for k, v in sorted(by_kind.items())},
        "parser_of_plan": dict(answered_by),
        "seconds_p50": sorted(seconds)[len(seconds) // 2] if seconds else None,
    }
    if show_misses:
        report["misses"] = misses
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=Path(__file__).with_name("firstday_b.jsonl"))
    parser.add_argument("--parsers", choices=["rules", "model", "both"], default="rules")
    parser.add_argument("--misses", action="store_true", help="list every wrong reply")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args.questions, args.parsers, args.misses)
    if args.json:
        print(json.dumps(report, indent=1))
        return
    print(f"{report['questions']} ({report['parsers']}): {report['right']} / {report['n']} right, "
          f"p50 {report['seconds_p50'] * 1000:.0f} ms per question; plans by {report['parser_of_plan']}")
    for kind, score in report["by_kind"].items():
        print(f"  {kind:16s} {score['right']:4d} / {score['n']}")
    for miss in report.get("misses", []):
        print(f"- {miss['question']}\n    gold {json.dumps(miss['gold'])[:160]}\n    got  {miss['answer'][:160]!r} "
              f"[{miss['route']}, {miss['parser']}] {json.dumps(miss['plan'])[:200]}\n    text {miss['text'][:200]}")


if __name__ == "__main__":
    main()
