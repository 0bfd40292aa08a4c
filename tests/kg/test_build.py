"""Builds swap in only when complete: a failed or interrupted build leaves the previous graph."""

import shutil

import pytest

from kg.backends import ladybug
from kg.build import SOURCE_FILES, build_graph
from kg.errors import ParseError
from kg.paths import data_dir, graph_dir
from kg.schema import schema


def graph_folders(home):
    return sorted(p.name for p in home.iterdir() if p.name.startswith("graph-"))


def test_parse_failure_leaves_previous_graph(graph_home, graph, tmp_path):
    link = graph_dir(graph_home)
    before, folders = link.resolve(), graph_folders(graph_home)
    data = tmp_path / "data"
    shutil.copytree(data_dir(), data, ignore=shutil.ignore_patterns("singlecell", "alphafold"))
    hgnc = data / SOURCE_FILES["hgnc"]
    hgnc.write_bytes(hgnc.read_bytes()[:5000])  # a truncated download
    with pytest.raises(ParseError, match="hgnc_complete_set"):
        build_graph(home=graph_home, data=data)
    assert link.resolve() == before and graph_folders(graph_home) == folders
    assert graph.gene("HER2").symbol == "ERBB2"


def test_interrupted_load_leaves_previous_graph(graph_home, graph):
    link = graph_dir(graph_home)
    before, folders = link.resolve(), graph_folders(graph_home)

    def interrupt(step):
        if step == "COPY ANNOTATED_WITH":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_graph(home=graph_home, step=interrupt)
    assert link.resolve() == before and graph_folders(graph_home) == folders
    assert graph.gene("TP53").summary


def test_rejected_rows_leave_previous_graph(graph_home, graph):
    link = graph_dir(graph_home)
    before = link.resolve()
    tables = {t: [] for t in schema()}
    tables["Name"] = [{"key": "X", "name": "x"}]
    tables["NAMES"] = [{"key": "X", "gene_id": "HGNC:0-not-loaded", "kind": "alias"}]
    with pytest.raises(RuntimeError):
        ladybug.build(tables, link, manifest={})
    assert link.resolve() == before
    assert graph.resolve("HER2").best.symbol == "ERBB2"
