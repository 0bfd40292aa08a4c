"""Gene-fact accuracy of the agent, per fact type, with GeneGPT-style answer normalisation.

Question files are tab-separated: `type<TAB>question<TAB>answer` with a header line, or
`question<TAB>answer` (type "all"); lines starting with '#' are comments. The bundled set is
`evals/benchmarks/geneturing_gene_facts.tsv` (GeneTuring's four gene-fact tasks, verbatim).

Normalisation follows GeneGPT's evaluation: a chromosome answer becomes `chrN` (the last word,
prefixed), a protein-coding answer becomes TRUE / NA (yes / no), and other answers are compared
as stripped strings; a question scores 1 on an exact match after normalisation.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kg.errors import GeneverseError, ParseError

BUNDLED_QUESTIONS = Path(__file__).parent / "benchmarks" / "geneturing_gene_facts.tsv"


class FactQuestion(BaseModel):
    type: str
    question: str
    gold: str


class FactResult(BaseModel):
    type: str
    question: str
    gold: str
    predicted: str | None
    normalised: str | None
    correct: bool
    route: str | None = None
    error: str | None = None


class FactsReport(BaseModel):
    questions: str
    accuracy: float
    by_type: dict[str, dict[str, float]]
    seconds_per_question: float
    results: list[FactResult]


def read_questions(path: Path) -> list[FactQuestion]:
    if not path.is_file():
        raise GeneverseError(f"No such question file: {path}")
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#") or line.lower().startswith("type\tquestion"):
            continue
        fields = line.split("\t")
        if len(fields) == 2:
            questions.append(FactQuestion(type="all", question=fields[0].strip(), gold=fields[1].strip()))
        elif len(fields) == 3:
            questions.append(FactQuestion(type=fields[0].strip(), question=fields[1].strip(), gold=fields[2].strip()))
        else:
            raise ParseError(str(path), number, "expected 'type<TAB>question<TAB>answer' or 'question<TAB>answer'")
    if not questions:
        raise GeneverseError(f"{path} holds no questions")
    return questions


def normalise(answer: str | None, fact_type: str) -> str | None:
    """GeneGPT's answer normalisation for a fact type (case of the type ignored)."""
    if answer is None:
        return None
    text = answer.strip().removeprefix("Answer:").strip()
    kind = fact_type.lower()
    if "location" in kind:
        last = text.split()[-1] if text.split() else text
        last = last.rstrip(".")
        return last if last.lower().startswith("chr") else f"chr{last}"
    if "protein-coding" in kind or "protein coding" in kind:
        return {"yes": "TRUE", "true": "TRUE", "no": "NA", "false": "NA", "na": "NA"}.get(text.lower(), text)
    return text


def run_facts(questions_path: Path, agent: Any, progress: bool = True) -> FactsReport:
    from retrieval.index import progress_bar

    questions = read_questions(questions_path)
    results, started = [], time.perf_counter()
    with progress_bar(progress, "gene facts", len(questions)) as advance:
        for q in questions:
            reply = agent.ask(q.question)
            normalised = normalise(reply.answer, q.type)
            results.append(FactResult(type=q.type, question=q.question, gold=q.gold, predicted=reply.answer,
                                      normalised=normalised, correct=normalised == normalise(q.gold, q.type),
                                      route=reply.route, error=reply.error))
            advance(1)
    elapsed = time.perf_counter() - started
    by_type: dict[str, list[bool]] = defaultdict(list)
    for r in results:
        by_type[r.type].append(r.correct)
    return FactsReport(
        questions=str(questions_path),
        accuracy=round(sum(r.correct for r in results) / len(results), 4),
        by_type={t: {"accuracy": round(sum(v) / len(v), 4), "n": len(v)} for t, v in sorted(by_type.items())},
        seconds_per_question=round(elapsed / len(results), 4),
        results=results,
    )
