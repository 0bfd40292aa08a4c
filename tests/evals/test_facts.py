"""Gene-fact accuracy: GeneGPT-style normalisation and a run of the real agent on GeneTuring questions."""

import pytest

from evals.facts import BUNDLED_QUESTIONS, normalise, read_questions, run_facts
from kg.errors import GeneverseError, ParseError


@pytest.mark.parametrize(("answer", "fact_type", "expected"), [
    ("chromosome 17", "Gene location", "chr17"),
    ("chrX", "Gene location", "chrX"),
    ("Answer: 8", "Gene location", "chr8"),
    ("Yes", "Protein-coding genes", "TRUE"),
    ("No", "Protein-coding genes", "NA"),
    ("TRUE", "Protein-coding genes", "TRUE"),
    (" PSMB10 ", "Gene alias", "PSMB10"),
    (None, "Gene alias", None),
])
def test_normalise(answer, fact_type, expected):
    assert normalise(answer, fact_type) == expected


def test_bundled_questions_are_four_types_of_fifty():
    questions = read_questions(BUNDLED_QUESTIONS)
    counts = {}
    for q in questions:
        counts[q.type] = counts.get(q.type, 0) + 1
    assert counts == {"Gene alias": 50, "Gene location": 50, "Gene name conversion": 50, "Protein-coding genes": 50}


def test_bad_question_files(tmp_path):
    with pytest.raises(GeneverseError):
        read_questions(tmp_path / "missing.tsv")
    bad = tmp_path / "bad.tsv"
    bad.write_text("only one column\n")
    with pytest.raises(ParseError, match="bad.tsv:1"):
        read_questions(bad)


def test_agent_accuracy_per_type(graph, tmp_path):
    from agent.graph import GeneverseAgent

    lines = [line for line in BUNDLED_QUESTIONS.read_text().splitlines() if not line.startswith("#")][1:]
    picked = [lines[0], lines[50], lines[100], lines[150], lines[153]]  # one or two of each type
    questions = tmp_path / "q.tsv"
    questions.write_text("\n".join(picked) + "\n")
    report = run_facts(questions, GeneverseAgent(graph), progress=False)
    assert len(report.results) == 5 and set(report.by_type) == {
        "Gene alias", "Gene location", "Gene name conversion", "Protein-coding genes"}
    assert report.accuracy == sum(r.correct for r in report.results) / 5
    alias = report.results[0]
    assert alias.gold == "PSMB10" and alias.correct, alias
