"""The second line of defence: statements that act on a read-only Ladybug database (file export,
extensions, checkpoints, several statements at once) are refused at the store, whatever the
keyword filter let through; an unopenable graph is one message that says how to rebuild."""

import shutil

import pytest

from kg.backends.ladybug import DB_FILE, LadybugStore
from kg.errors import GeneverseError, ReadOnlyViolation
from kg.readonly import check_read_only, check_statement_kind


@pytest.fixture
def graph_copy(graph_home, tmp_path):
    """A private copy of the session graph: a statement that got through could not harm the others."""
    folder = tmp_path / "graph-copy"
    shutil.copytree((graph_home / "graph").resolve(), folder)
    return folder


def test_statements_that_act_are_refused_at_the_store(graph_copy, tmp_path):
    out = tmp_path / "out"
    statements = [
        f"COPY (MATCH (g:Gene) RETURN g.symbol) TO '{out}.csv'",
        f"/* a comment */ COPY (MATCH (g:Gene) RETURN g.symbol) TO '{out}.parquet'",
        f"EXPORT DATABASE '{out}'",
        "INSTALL json",
        "LOAD EXTENSION json",
        "CHECKPOINT",
        "CALL threads=1",
        "BEGIN TRANSACTION",
        f"MATCH (g:Gene) RETURN g.symbol LIMIT 1; COPY (MATCH (g:Gene) RETURN g.symbol) TO '{out}.csv'",
        "MATCH (g:Gene) RETURN g.symbol LIMIT 1; CHECKPOINT",
        "MATCH (g:Gene) WITH g LIMIT 1 LOAD FROM '/etc/hostname' (file_format='csv') RETURN *",
        "MATCH (g:Gene) WITH g LIMIT 1 CALL show_tables() RETURN *",
    ]
    store = LadybugStore(graph_copy)
    try:
        for statement in statements:
            with pytest.raises(ReadOnlyViolation):
                store.run(statement)
            with pytest.raises(ReadOnlyViolation):
                store.columns(statement)
        assert store.run("MATCH (g:Gene) WHERE g.symbol = 'TP53' RETURN g.hgnc_id AS id") == [{"id": "HGNC:11998"}]
        # a query with the refused words in strings, names and properties still runs
        assert store.run("MATCH (g:Gene) WHERE g.symbol = 'COPY; CHECKPOINT' RETURN g.symbol AS `load`") == []
    finally:
        store.close()
    assert not list(tmp_path.glob("out*"))
    reopened = LadybugStore(graph_copy)
    assert reopened.run("MATCH (g:Gene) RETURN count(g) AS n")[0]["n"] > 40_000
    reopened.close()


@pytest.mark.parametrize("query", [
    "ＭＡＴＣＨ (n) ＤＥＴＡＣＨ ＤＥＬＥＴＥ n",              # fullwidth letters
    "MATCH (n) DE\u200bTACH DEL\u200dETE n",                 # zero-width space and joiner
    "MATCH (n) \u2060SET n.x = 1 RETURN n",                  # word joiner
    "ＣＯＰＹ (MATCH (g:Gene) RETURN g.symbol) TO 'x.csv'",
    "MATCH (g) WHERE g.symbol = 'a\\' RETURN 1' ＣＡＬＬ db.labels() RETURN 1",  # escaped quote, then a call
    "RETURN 1 ； CHECKPOINT",                                # fullwidth semicolon
])
def test_disguised_writes_are_refused_by_the_filter(query):
    with pytest.raises(ReadOnlyViolation):
        check_read_only(query)


def test_unopenable_graph_is_one_message_with_the_rebuild_command(graph_copy):
    (graph_copy / DB_FILE).write_bytes(b"not a database")
    with pytest.raises(GeneverseError, match="cannot be opened .*geneverse kg build"):
        LadybugStore(graph_copy)


@pytest.mark.parametrize("tail", ['"\\' * 500_000, "/*" * 500_000, "'" + "a" * 1_000_000, "`" * 1_000_000])
def test_guards_read_a_megabyte_of_open_strings_and_comments_in_one_pass(tail):
    """Open strings and comments used to be rescanned from every quote; a megabyte would not finish."""
    with pytest.raises(ReadOnlyViolation):
        check_read_only("MATCH (n) DETACH DELETE n RETURN " + tail)
    check_statement_kind("MATCH (n) RETURN " + tail)  # open to the end: left to the database to refuse
