"""Grounded descriptions: the facts packet read from the real graph, the deterministic composition, and the
sentence checks that keep a draft to what the packet supports."""

import pytest

from kg.build import build_graph
from kg.graph import open_graph
from tools.describe import compose, describe_gene, facts_packet, ground_draft, grounded_prompt


class RecordingModel:
    """A text generator with a prepared draft that keeps the prompts it was given."""

    name = "recording"

    def __init__(self, draft: str):
        self.draft, self.prompts = draft, []

    def generate(self, prompt: str, *, system: str | None = None, max_new_tokens: int | None = None) -> str:
        self.prompts.append(prompt)
        return self.draft


@pytest.fixture(scope="module")
def withheld_graph(tmp_path_factory):
    home = tmp_path_factory.mktemp("withheld-home")
    build_graph(home=home, withhold_summaries={"FGF7", "CASP10"})
    graph = open_graph(backend="ladybug", home=home)
    yield graph
    graph.close()


def test_facts_packet_of_known_genes(graph):
    fgf7 = facts_packet("KGF", graph)  # an alias resolves to the gene
    assert (fgf7.symbol, fgf7.name, fgf7.cytoband) == ("FGF7", "fibroblast growth factor 7", "15q21.2")
    assert "Fibroblast growth factor family" in fgf7.gene_groups and fgf7.is_protein_coding
    assert "growth factor activity" in fgf7.functions and fgf7.processes and fgf7.summary
    cftr = facts_packet("CFTR", graph)
    direct = {t.name for t in graph.go_terms("CFTR", direct_only=True)}
    assert set(cftr.functions + cftr.processes + cftr.components) <= direct
    assert any("chloride" in f for f in cftr.functions)
    assert any(d.startswith("Bronchiectasis") for d in cftr.diseases)
    ctcf = facts_packet("CTCF", graph)
    assert ctcf.experiments.get("ChIP-seq", 0) > 50 and "K562" in ctcf.experiment_biosamples
    assert "HGNC:13723" in ctcf.records and all(r.startswith(("HGNC:", "GO:", "C", "OMIM:", "ORPHA:"))
                                                for r in ctcf.records)
    mir = facts_packet("MIR608", graph, include_summary=False)
    assert mir.locus_type == "RNA, micro" and not mir.functions and mir.summary is None


def test_main_theme_comes_first(graph):
    ccnd1 = facts_packet("CCND1", graph, include_summary=False)
    assert "cell cycle" in ccnd1.processes[0]
    direct = {t.name for t in graph.go_terms("CCND1", direct_only=True)}
    assert {"response to leptin", "response to UV-A"} <= direct  # isolated "response to" terms stay out
    assert not any(p.startswith(("response to", "cellular response to")) for p in ccnd1.processes)
    crh = facts_packet("CRH", graph, include_summary=False)
    assert "cellular response to cocaine" not in crh.processes and any("hormone" in p for p in crh.processes)
    # the GO-slim categories are the gene's own broader terms, none the packet's terms already name
    annotation = {t.name for t in graph.go_terms("CPT1A")}
    cpt1a = facts_packet("CPT1A", graph, include_summary=False)
    assert cpt1a.categories and set(cpt1a.categories) <= annotation
    assert "carnitine shuttle" in cpt1a.processes and "GO slim: " in grounded_prompt(cpt1a)


def test_composition_is_prose_that_states_the_packet(graph):
    packet = facts_packet("FGF7", graph, include_summary=False)
    text = compose(packet)
    assert text.startswith("FGF7 (fibroblast growth factor 7) is a protein-coding gene, located on the long (q) arm")
    assert "\n" not in text and ";" not in text and text.endswith(".")
    assert all(term in text for term in packet.functions + packet.processes + packet.components)
    mir = compose(facts_packet("MIR608", graph, include_summary=False))
    assert "microRNA gene" in mir and "protein" not in mir  # no protein product claimed of a microRNA


def test_unsupported_sentences_are_removed_and_missing_facts_added(withheld_graph):
    draft = ("FGF7 encodes a fibroblast growth factor with growth factor activity. "
             "It causes Huntington disease together with BRCA1. "
             "Its expression is controlled by circadian clock oscillations in hepatocytes.")
    model = RecordingModel(draft)
    described = describe_gene("FGF7", withheld_graph, model)
    assert "fibroblast growth factor with growth factor activity" in described.text
    assert "Huntington" not in described.text and "circadian" not in described.text
    removed = [c for c in described.corrections if c.field == "unsupported_sentence"]
    assert [c.before for c in removed] == [draft.split(". ")[1] + ".", draft.split(". ")[2]]
    assert "BRCA1" in removed[0].source
    # facts the draft left unsaid come back as their deterministic sentences, each one listed
    added = {c.field for c in described.corrections if c.before == "" and c.after}
    assert {"processes", "components"} <= added
    assert described.text.startswith("FGF7 (fibroblast growth factor 7) is a protein-coding gene")


def test_a_relation_no_packet_fact_holds_is_dropped(graph):
    packet = facts_packet("CPT1A", graph, include_summary=False)
    draft = ("The encoded protein is a member of the carnitine palmitoyltransferase family. "
             "The encoded protein is involved in the metabolism of fatty acids and is involved in the production "
             "of carnitine. The encoded protein is expressed in the brain. "
             "It is located in the mitochondrial outer membrane.")
    described = ground_draft(draft, packet, graph)
    production, brain = draft.split(". ")[1] + ".", draft.split(". ")[2] + "."
    removed = {c.before: c.source for c in described.corrections if c.field == "unsupported_sentence"}
    assert set(removed) == {production, brain}
    assert "the production of carnitine" in removed[production] and "brain" in removed[brain]
    assert "carnitine palmitoyltransferase family" in described.text and "production" not in described.text
    assert "It is located in the mitochondrial outer membrane." in described.text


def test_wrong_identifier_in_a_draft_is_corrected_before_the_check(graph):
    described = describe_gene("FGF7", graph, RecordingModel("FGF7 is located on chromosome 3 and has HGNC:99."))
    assert {c.field for c in described.corrections} >= {"chromosome", "hgnc_id"}
    assert "chromosome 3" not in described.text and "HGNC:99" not in described.text


def test_withheld_summaries_never_reach_the_prompt(graph, withheld_graph):
    for symbol in ("FGF7", "CASP10"):
        summary = graph.gene(symbol).summary
        model = RecordingModel(f"{symbol} is a gene.")
        describe_gene(symbol, withheld_graph, model)
        (prompt,) = model.prompts
        assert prompt == grounded_prompt(facts_packet(symbol, withheld_graph))
        assert summary[:60] not in prompt and "RefSeq summary" not in prompt
        # the normal graph does give its summary to the model
        normal = RecordingModel(f"{symbol} is a gene.")
        describe_gene(symbol, graph, normal)
        assert summary[:60] in normal.prompts[0]
