"""Accuracy and latency of `geneverse ask --batch FILE --json` on the generated question set.

    python -m evals.agent.bench_ask [--questions evals/agent/questions.jsonl] [--per-fact N] [--llm] [--json]

Runs the real command in a subprocess (graph and model loaded once), reads its JSON lines as they
arrive, and scores each answer against the gold answer from the graph. Latency per question is the time
between consecutive answers; the first answer also carries the start-up and is reported apart."""

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def is_correct(question: dict[str, Any], reply: dict[str, Any]) -> bool:
    answer = reply.get("answer")
    if answer is None:
        return False
    gold = question["gold"]
    if question["scoring"] == "exact":
        return answer.strip().lower() == str(gold).strip().lower()
    if question["scoring"] == "set":
        separator = "; " if question["fact"] == "diseases_of_gene" else ", "
        return {a.strip() for a in answer.split(separator) if a.strip()} == set(gold)
    if question["scoring"] == "top5":
        return gold in (reply.get("provenance") or {}).get("records", [])[:5]
    raise ValueError(f"unknown scoring {question['scoring']}")


def select(questions: list[dict[str, Any]], per_fact: int | None) -> list[dict[str, Any]]:
    if per_fact is None:
        return questions
    taken: dict[str, int] = {}
    chosen = []
    for q in questions:
        if taken.get(q["fact"], 0) < per_fact:
            taken[q["fact"]] = taken.get(q["fact"], 0) + 1
            chosen.append(q)
    return chosen


def run_batch(questions: list[dict[str, Any]], llm: bool) -> tuple[list[dict[str, Any]], list[float], float]:
    """Replies, the arrival time of each (seconds from launch), and the total wall time."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as handle:
        handle.write("".join(json.dumps({"question": q["question"]}) + "\n" for q in questions))
        batch = handle.name
    command = [sys.executable, "-c", "from agent.cli import main; main()", "ask", "--batch", batch, "--json", "--full"]
    if llm:
        command.append("--llm")
    start = time.perf_counter()
    replies, arrivals = [], []
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        for line in process.stdout:
            arrivals.append(time.perf_counter() - start)
            replies.append(json.loads(line))
    wall = time.perf_counter() - start
    Path(batch).unlink()
    if process.returncode != 0 or len(replies) != len(questions):
        raise SystemExit(f"ask --batch failed (exit {process.returncode}, {len(replies)}/{len(questions)} answers)")
    return replies, arrivals, wall


def report(questions, replies, arrivals, wall, llm: bool) -> dict[str, Any]:
    per_fact: dict[str, list[bool]] = {}
    for q, r in zip(questions, replies, strict=True):
        per_fact.setdefault(q["fact"], []).append(is_correct(q, r))
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    return {
        "lm_in_loop": llm,
        "questions": len(questions),
        "accuracy": sum(map(sum, per_fact.values())) / len(questions),
        "accuracy_per_fact": {fact: {"correct": sum(v), "total": len(v), "accuracy": sum(v) / len(v)}
                              for fact, v in per_fact.items()},
        "replies_with_corrections": sum(bool((r.get("provenance") or {}).get("corrections")) for r in replies),
        "corrections": sum(len((r.get("provenance") or {}).get("corrections") or []) for r in replies),
        "first_answer_s": arrivals[0],
        "latency_s": {"mean": statistics.fmean(gaps), "p50": statistics.median(gaps),
                      "p95": statistics.quantiles(gaps, n=20)[-1] if len(gaps) >= 20 else max(gaps),
                      "max": max(gaps)} if gaps else None,
        "wall_s": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=Path("evals/agent/questions.jsonl"))
    parser.add_argument("--per-fact", type=int, default=None, help="only the first N questions of each fact type")
    parser.add_argument("--llm", action="store_true", help="language model in the loop")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--failures", type=Path, default=None, help="write wrong answers here (JSON lines)")
    args = parser.parse_args()
    questions = select([json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()],
                       args.per_fact)
    replies, arrivals, wall = run_batch(questions, args.llm)
    result = report(questions, replies, arrivals, wall, args.llm)
    if args.failures:
        wrong = [{"question": q, "reply": r} for q, r in zip(questions, replies, strict=True) if not is_correct(q, r)]
        args.failures.write_text("".join(json.dumps(w) + "\n" for w in wrong))
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{result['questions']} questions, LM in the loop: {result['lm_in_loop']}, "
          f"accuracy {result['accuracy']:.3f}, wall {wall:.1f} s, first answer {arrivals[0]:.1f} s")
    for fact, score in result["accuracy_per_fact"].items():
        print(f"  {fact:18s} {score['correct']:4d}/{score['total']:<4d} {score['accuracy']:.3f}")
    print(f"post-correction: {result['corrections']} corrections in {result['replies_with_corrections']} replies")
    if result["latency_s"]:
        lat = result["latency_s"]
        print(f"latency per question: mean {lat['mean'] * 1000:.1f} ms, p50 {lat['p50'] * 1000:.1f} ms, "
              f"p95 {lat['p95'] * 1000:.1f} ms, max {lat['max'] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
