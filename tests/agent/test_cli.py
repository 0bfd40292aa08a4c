"""The ask / query / correct commands through the console entry point, over the session's graph."""

import json

import pytest
from cli_runner import run_cli

run = run_cli


@pytest.fixture(autouse=True)
def _graph_built(graph_home):
    """The commands open the default graph, which is the session's (GENEVERSE_HOME)."""


def test_ask_json(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "ask", "What is the official gene symbol of HER2?", "--json")
    reply = json.loads(out)
    assert code == 0 and reply["answer"] == "ERBB2" and reply["route"] == "official_symbol"
    assert reply["provenance"]["records"] == ["HGNC:3430"] and reply["text"]


def test_ask_batch_prints_json_lines(monkeypatch, capsys, tmp_path):
    batch = tmp_path / "questions.txt"
    batch.write_text("Which chromosome is XIST located on?\n\n# a comment\n"
                     + json.dumps({"question": "Is MALAT1 a protein-coding gene?"}) + "\n"
                     "What is the official symbol of FOOBAR123?\n")
    code, out, _ = run(monkeypatch, capsys, "ask", "--batch", str(batch), "--json")
    replies = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["answer"] for r in replies] == ["chrX", "NA", None]
    assert "FOOBAR123" in replies[2]["error"]


def test_ask_that_cannot_be_answered_exits_non_zero(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "ask", "What is the official symbol of FOOBAR123?")
    assert code == 1 and "No gene named 'FOOBAR123'" in out


def test_bad_batch_file_is_one_clear_message(monkeypatch, capsys, tmp_path):
    code, _, err = run(monkeypatch, capsys, "ask", "--batch", str(tmp_path / "missing.txt"), "--json")
    assert code == 1 and "Cannot read questions" in err and "Traceback" not in err


def test_query_json_prints_cypher_rows_and_summary(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "query", "How many Enformer tracks measure H3K27ac?", "--json")
    result = json.loads(out)
    assert code == 0 and result["cypher"].startswith("MATCH (x:Track)") and result["rows"][0]["tracks"] > 0
    assert result["summary"] == f"{result['rows'][0]['tracks']} Enformer tracks with target H3K27ac."
    assert result["path"] == "plan" and result["plan"]["find"] == "track"


def test_query_write_attempt_is_refused(monkeypatch, capsys):
    code, _, err = run(monkeypatch, capsys, "query", "MATCH (n) DETACH DELETE n")
    assert code == 1 and "read-only" in err and "Traceback" not in err


def test_correct_reads_stdin(monkeypatch, capsys):
    text = "ERBB2 lies on chromosome 5 and its HGNC id is HGNC:9999."
    code, out, _ = run(monkeypatch, capsys, "correct", "--gene", "HER2", "--json", stdin=text)
    result = json.loads(out)
    assert code == 0 and result["gene"] == "ERBB2"
    assert result["text"] == "ERBB2 lies on chromosome 17 and its HGNC id is HGNC:3430."
    assert [(c["field"], c["before"], c["after"], c["source"]) for c in result["corrections"]] == [
        ("chromosome", "5", "17", "HGNC:3430"), ("hgnc_id", "9999", "3430", "HGNC:3430")]


def test_correct_says_what_it_left_unchecked(monkeypatch, capsys):
    text = "TP53 lies on chromosome 17 and it binds MDM2. MDM2 lies on chromosome 12."
    code, out, err = run(monkeypatch, capsys, "correct", "--gene", "TP53", stdin=text)
    said = " ".join(err.split())
    assert code == 0 and out.strip() == text  # nothing to correct: MDM2's chromosome is MDM2's
    assert "no corrections; checked: chromosome" in said
    assert "unchecked statement: 'it binds MDM2'" in said and "unchecked chromosome: 'chromosome 12' (said of MDM2" in said


def test_chat_keeps_context(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, "chat", "--json",
                       stdin="Where is TP53 located?\nWhich chromosome is it on?\nexit\n")
    replies = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["answer"] for r in replies] == ["17p13.1", "chr17"]
