"""The Chroma gene index on the real graph: documents, incremental re-index, withheld summaries, search."""

import pytest

from kg.errors import BackendUnavailable, GeneverseError
from retrieval.index import GeneIndex, gene_documents

HEDGEHOG_GENES = ["GLI1", "GLI2", "GLI3", "PTCH1", "SUFU", "FGF7", "CASP10", "HSPA1L"]


@pytest.fixture(scope="module")
def index(graph, tmp_path_factory):
    built = GeneIndex.open(tmp_path_factory.mktemp("index"))
    report = built.build(graph, genes=HEDGEHOG_GENES)
    assert report.embedded == len(HEDGEHOG_GENES)
    return built


def test_documents_carry_names_summary_and_go_terms(graph):
    (gli1,) = gene_documents(graph, ["GLI1"])
    assert gli1.text.startswith("GLI1: GLI family zinc finger 1.")
    assert "hedgehog" in gli1.text.lower() and "Biological process:" in gli1.text
    assert gli1.has_summary


def test_withheld_document_has_no_summary_but_keeps_go_terms(graph):
    (full,) = gene_documents(graph, ["GLI1"])
    (withheld,) = gene_documents(graph, ["GLI1"], withhold_summaries={"gli1"})
    summary = graph.gene("GLI1").summary
    assert summary[:60] in full.text and summary[:60] not in withheld.text
    assert "Biological process:" in withheld.text and not withheld.has_summary
    assert full.content_hash != withheld.content_hash


def test_rebuild_embeds_only_changed_documents(graph, index):
    again = index.build(graph, genes=HEDGEHOG_GENES)
    assert (again.embedded, again.unchanged) == (0, len(HEDGEHOG_GENES))
    changed = index.build(graph, genes=["GLI1", "GLI2"], withhold_summaries={"GLI1"})
    assert (changed.embedded, changed.unchanged, changed.withheld) == (1, 1, 1)
    restored = index.build(graph, genes=["GLI1"])
    assert restored.embedded == 1
    assert index.count() == len(HEDGEHOG_GENES)


def test_search_ranks_hedgehog_genes_first(index):
    found = index.search("mediator of sonic hedgehog signalling, zinc finger transcription factor", k=3)
    assert {d.symbol for d in found} <= {"GLI1", "GLI2", "GLI3", "PTCH1", "SUFU"}
    assert found[0].score >= found[-1].score


def test_lookup_by_exact_symbol(index):
    assert index.lookup("CASP10").gene_id == "HGNC:1500"
    assert index.lookup("NOT_A_GENE") is None


def test_clone_copies_without_reembedding(index, tmp_path):
    copy = index.clone(tmp_path / "copy")
    assert copy.count() == index.count()
    assert copy.search("caspase apoptosis", k=1)[0].symbol == index.search("caspase apoptosis", k=1)[0].symbol


def test_empty_index_search_is_a_clear_error(tmp_path):
    with pytest.raises(GeneverseError, match="empty"):
        GeneIndex.open(tmp_path / "empty").search("anything")


def test_unreachable_chroma_server(monkeypatch, tmp_path):
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", "9")
    with pytest.raises(BackendUnavailable, match="unreachable"):
        GeneIndex.open(tmp_path)
