"""A user's mistakes through the real console entry point: each ends in one message and a non-zero
exit (2 for usage mistakes), with a JSON error object under --json, never a traceback."""

import json
from functools import partial

import pytest
from cli_runner import run_cli

from agent.questions import MAX_QUESTION_CHARS

# Every command here reads an empty standard input unless a test pipes one in.
run = partial(run_cli, stdin="")


USAGE_MISTAKES = [
    ("kg", "gene", "-TP53"),
    ("kg", "gene", "--json"),
    ("no-such-command",),
    ("kg", "no-such-command"),
    ("serve", "--port", "99999", "--json"),
    ("ask", "--batch"),
    ("correct",),
    ("correct", "--json"),
    ("ask", "--no-such-option", "x"),
    ("rag", "search", "x", "-k", "0"),
]


@pytest.mark.parametrize("args", USAGE_MISTAKES, ids=" ".join)
def test_usage_mistake_is_usage_text_and_exit_2(monkeypatch, capsys, args):
    code, out, err = run(monkeypatch, capsys, *args)
    assert code == 2 and "Error:" in err and "--help" in err and "Traceback" not in err + out
    if "--json" in args:
        assert "error" in json.loads(out)


@pytest.fixture
def built(graph_home):
    """Commands that open the default graph use the session's (GENEVERSE_HOME)."""


def test_overlong_question_is_refused_quoting_little(monkeypatch, capsys, built):
    question = "What is the official symbol of " + "X" * 200_000 + "?"
    code, out, _ = run(monkeypatch, capsys, "ask", question, "--json")
    error = json.loads(out)["error"]
    assert code == 1 and f"limit is {MAX_QUESTION_CHARS:,}" in error and len(error) < 300


def test_overlong_query_is_refused(monkeypatch, capsys, built):
    code, _, err = run(monkeypatch, capsys, "query", "genes " * 1000)
    assert code == 1 and "limit is 2,000" in err


def test_empty_question_is_refused(monkeypatch, capsys, built):
    code, _, err = run(monkeypatch, capsys, "ask", "   ")
    assert code == 1 and "empty" in err


def test_batch_answers_good_lines_and_reports_bad_ones(monkeypatch, capsys, tmp_path, built):
    batch = tmp_path / "questions.jsonl"
    batch.write_text("\n".join([
        json.dumps({"question": "Which chromosome is XIST located on?"}),
        '{"question": "unterminated',
        json.dumps({"question": None}),
        json.dumps({"q": "a field of another name"}),
        "x" * (MAX_QUESTION_CHARS + 1),
        "What is the official gene symbol of HER2?",
    ]) + "\n")
    code, out, err = run(monkeypatch, capsys, "ask", "--batch", str(batch), "--json")
    replies = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(replies) == 6
    assert replies[0]["answer"] == "chrX" and replies[5]["answer"] == "ERBB2"
    assert [r.get("line") for r in replies[1:5]] == [2, 3, 4, 5]
    assert "not valid JSON" in replies[1]["error"] and "'question' field" in replies[2]["error"]
    assert "None" not in replies[2]["error"] and "limit is" in replies[4]["error"]
    assert "4 of 6 lines" in err


def test_null_question_is_an_error_not_the_question_none(monkeypatch, capsys, tmp_path, built):
    batch = tmp_path / "null.jsonl"
    batch.write_text('{"question": null}\n')
    code, out, _ = run(monkeypatch, capsys, "ask", "--batch", str(batch), "--json")
    (reply,) = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and reply["line"] == 1 and "question" not in reply


@pytest.mark.parametrize("content", ["", "\n# only a comment\n\n"], ids=["empty", "comments"])
def test_empty_batch_says_so(monkeypatch, capsys, tmp_path, content):
    batch = tmp_path / "empty.txt"
    batch.write_text(content)
    code, out, err = run(monkeypatch, capsys, "ask", "--batch", str(batch), "--json")
    assert code == 1 and "No questions in" in json.loads(out)["error"] and str(batch) in err


def test_binary_batch_file_names_the_path(monkeypatch, capsys, tmp_path):
    batch = tmp_path / "questions.bin"
    batch.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    code, out, err = run(monkeypatch, capsys, "ask", "--batch", str(batch), "--json")
    error = json.loads(out)["error"]
    assert code == 1 and "not UTF-8" in error and str(batch) in error and "Traceback" not in err


@pytest.fixture
def paths(tmp_path) -> dict[str, str]:
    binary = tmp_path / "binary.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00\x01")
    existing = tmp_path / "existing.txt"
    existing.write_text("a file\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    return {"binary": str(binary), "file": str(existing), "folder": str(folder), "under_file": str(existing / "out"),
            "empty": ""}


# (command line, the placeholder of `paths` the message must name, what the message says)
FILE_MISTAKES = [
    ("eval facts --questions {binary}", "binary", "not UTF-8"),
    ("eval facts --questions {folder}", "folder", "a folder, not a file"),
    ("eval facts --out {folder}", "folder", "is a folder"),
    ("eval facts --out {under_file}", "under_file", "is not a folder"),
    ("eval facts --out {empty}", "empty", "--out is empty"),
    ("eval describe --genes TP53 --out {file}", "file", "is a file, not a folder"),
    ("eval describe --genes TP53 --out {empty}", "empty", "--out is empty"),
    ("rag index --genes {binary}", "binary", "not UTF-8"),
    ("rag index --withhold-summaries {binary}", "binary", "not UTF-8"),
    ("rag index --path {file}", "file", "is a file, not a folder"),
    ("rag index --path {under_file}", "under_file", "is not a folder"),
    ("rag index --path {empty}", "empty", "--path is empty"),
    ("kg build --withhold-summaries {binary}", "binary", "not UTF-8"),
    ("tracks explain {folder} --plot {folder}", "folder", "is a folder"),
    ("tracks explain {folder} --plot {under_file}", "under_file", "is not a folder"),
    ("tracks explain {folder} --plot {empty}", "empty", "--plot is empty"),
    ("tracks predict --gene TP53 --out {file}", "file", "is a file, not a folder"),
    ("eval describe --genes TP53 --out {folder} --systems-file {binary}", "binary", "not UTF-8"),
    ("finetune llm --data {binary} --out {folder}", "binary", "not UTF-8"),
    ("finetune llm --data {folder} --out {file}", "file", "is a file, not a folder"),
]


@pytest.mark.parametrize(("line", "subject", "message"), FILE_MISTAKES, ids=[line for line, *_ in FILE_MISTAKES])
def test_bad_path_is_one_message_naming_it(monkeypatch, capsys, paths, line, subject, message):
    code, out, err = run(monkeypatch, capsys, *(part.format(**paths) for part in line.split(" ")), "--json")
    error = json.loads(out)["error"]
    assert code == 1 and message in error and paths[subject] in error and "Traceback" not in err


@pytest.mark.parametrize("options", [
    ("--val-fraction", "nan"),
    ("--val-fraction", "-0.1"),
    ("--test-fraction", "1.5"),
    ("--val-fraction", "0.6", "--test-fraction", "0.5"),
    ("--max-genes", "-5"),
], ids=" ".join)
def test_finetune_data_refuses_impossible_splits(monkeypatch, capsys, tmp_path, options):
    code, out, err = run(monkeypatch, capsys, "finetune", "data", "--out", str(tmp_path / "data"), *options, "--json")
    assert code == 2 and "error" in json.loads(out) and "Traceback" not in err
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(("out", "message"), [("", "--out is empty"), ("{file}", "is a file, not a folder")])
def test_finetune_data_refuses_bad_out(monkeypatch, capsys, paths, out, message):
    code, out_text, _ = run(monkeypatch, capsys, "finetune", "data", "--out", out.format(**paths), "--json")
    assert code == 1 and message in json.loads(out_text)["error"]


def test_long_gene_name_is_quoted_short(monkeypatch, capsys, built):
    code, out, _ = run(monkeypatch, capsys, "kg", "gene", "AB" * 50_000, "--json")
    error = json.loads(out)["error"]
    assert code == 1 and "No gene named" in error and "100,000 characters" in error and len(error) < 300


DISGUISED_WRITES = [
    "ＭＡＴＣＨ (n) ＤＥＴＡＣＨ ＤＥＬＥＴＥ n",
    "MATCH (n) DE\u200bTACH DE\u200dLETE n",
    "MATCH (g:Gene) WHERE g.symbol = 'a\\' RETURN 1' ＣＡＬＬ db.labels() RETURN 1",
    "ＣＯＰＹ (MATCH (g:Gene) RETURN g.symbol) TO 'genes.csv'",
]


@pytest.mark.parametrize("cypher", DISGUISED_WRITES)
def test_disguised_write_is_refused_as_read_only(monkeypatch, capsys, built, cypher):
    code, out, err = run(monkeypatch, capsys, "query", cypher, "--json")
    assert code == 1 and json.loads(out)["kind"] == "ReadOnlyViolation" and "Parser exception" not in err


@pytest.mark.parametrize(("line", "subject", "message"), [
    ("rag search x --path {file}", "file", "is a file, not a folder"),
    ("rag index --embedder {folder} --path {folder}/index", "folder", "No sentence-transformers model in"),
])
def test_bad_index_or_embedder_path_is_one_message(monkeypatch, capsys, paths, built, line, subject, message):
    code, out, err = run(monkeypatch, capsys, *(part.format(**paths) for part in line.split(" ")), "--json")
    error = json.loads(out)["error"]
    assert code == 1 and message in error and paths[subject] in error and "Traceback" not in err


@pytest.mark.parametrize("genes", ["heldout:-5", "heldout:0", "heldout:x"])
def test_heldout_count_must_be_a_positive_number(monkeypatch, capsys, tmp_path, genes):
    code, out, _ = run(monkeypatch, capsys, "eval", "describe", "--genes", genes, "--out", str(tmp_path / "o"), "--json")
    assert code == 2 and "heldout:N" in json.loads(out)["error"] and not (tmp_path / "o").exists()


def test_question_that_is_not_utf8_is_refused(monkeypatch, capsys, built):
    undecoded = "What is \udcff HER2?"  # how Python hands over a byte that was not UTF-8
    code, out, _ = run(monkeypatch, capsys, "ask", undecoded, "--json")
    assert code == 1 and "not UTF-8" in json.loads(out)["error"]
    code, out, err = run(monkeypatch, capsys, "chat", "--json", stdin=undecoded + "\nWhich chromosome is XIST on?\n")
    assert code == 0 and "not UTF-8" in err and json.loads(out)["answer"] == "chrX"


def test_folder_that_cannot_be_made_is_one_message(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "eval", "describe", "--genes", "TP53", "--out", "/proc/geneverse-nope",
                         "--json")
    assert code == 1 and "cannot create the folder" in json.loads(out)["error"] and "Traceback" not in err


def test_gene_name_that_is_not_utf8_is_refused(monkeypatch, capsys, built):
    code, out, err = run(monkeypatch, capsys, "kg", "gene", "\udcff\udcfe", "--json")
    assert code == 1 and json.loads(out)["error"] == "The gene name is not UTF-8 text." and "pybind" not in err


def test_binary_text_to_correct_is_refused(monkeypatch, capsys, built):
    code, out, _ = run_cli(monkeypatch, capsys, "correct", "--gene", "TP53", "--json", stdin="\x00\udcff binary")
    assert code == 1 and "not UTF-8" in json.loads(out)["error"]


def test_unknown_backend_is_refused_before_building(monkeypatch, capsys, tmp_path):
    code, _, err = run(monkeypatch, capsys, "kg", "build", "--backend", "nosuch", "--home", str(tmp_path / "g"))
    assert code == 2 and "unknown backend 'nosuch'" in err and not (tmp_path / "g").exists()
