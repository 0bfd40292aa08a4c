"""The parser reads every kind of question into the plan that answers exactly what was asked: gene attributes,
two genes compared, neighbourhoods, set composition with 'and' / 'but not', counts and top-N, cell-type
markers; questions about data the graph does not hold are declined, never answered with a neighbouring fact."""

import pytest

from agent.graph import GeneverseAgent


@pytest.fixture(scope="module")
def agent(graph):
    return GeneverseAgent(graph)


@pytest.mark.parametrize(("question", "plan"), [
    ("Give me every alias symbol HGNC lists for CDKN2A", {"op": "get", "ask": "aliases", "names": ["CDKN2A"]}),
    ("tp53 strand?", {"op": "get", "ask": "strand", "names": ["tp53"]}),
    ("Which MANE Select transcript does BRCA2 have?", {"op": "get", "ask": "mane_select", "names": ["BRCA2"]}),
    ("Do EGFR and MET lie on the same chromosome?", {"op": "check", "ask": "chromosome", "names": ["EGFR", "MET"]}),
    ("Between DMD and TTN, which one spans more bases?", {"op": "compare", "ask": "length", "names": ["DMD", "TTN"]}),
    ("Genes within 300 kb of MYC, please",
     {"op": "list", "where": [{"on": "location", "op": "within", "values": ["MYC"], "distance": 300000}]}),
    ("Which gene is closest to chr12:25,200,000?",
     {"op": "nearest", "where": [{"on": "location", "op": "overlaps", "values": ["chr12:25200000"]}], "limit": 1}),
    ("How many members of the 'Zinc fingers C2H2-type' group are not on chromosome 19?",
     {"op": "count", "where": [{"on": "gene_group", "values": ["Zinc fingers C2H2-type"]},
                               {"on": "chromosome", "op": "not", "values": ["19"]}]}),
    ("What are the 3 chromosomes with the most pseudogenes?",
     {"op": "rank", "where": [{"on": "locus_group", "values": ["pseudogene"]}], "by": "chromosome", "limit": 3}),
    ("Is CD19 a marker of naive B cells?",
     {"op": "check", "names": ["CD19"], "where": [{"on": "cell_type", "values": ["Naive B cell"]}]}),
])
def test_questions_read_as_their_plans(agent, question, plan):
    assert agent.understand(question).plan.model_dump(exclude_defaults=True, mode="json") == plan


@pytest.mark.parametrize(("question", "answer"), [
    ("Do EGFR and MET lie on the same chromosome?", "yes"),  # both on chromosome 7
    ("Between DMD and TTN, which one spans more bases?", "DMD"),
    ("Is CD19 a marker of naive B cells?", "yes"),
])
def test_answers_are_of_the_kind_asked(agent, question, answer):
    assert agent.ask(question).answer == answer


@pytest.mark.parametrize(("question", "reason"), [
    ("What is the mouse ortholog of PAX6?", "human genes only"),
    ("Which gene does rs7412 sit in?", "no variants"),
    ("What is the expression level of ALB in liver?", "no expression levels"),
    ("How many exons does DMD have?", "not exons"),
    ("Show me the crystal structure of HBB.", "no 3-D structures"),
    ("Which biosamples have Hi-C data?", "holds no Hi-C"),
])
def test_data_the_graph_lacks_is_declined(agent, question, reason):
    reply = agent.ask(question)
    assert reply.answer is None and reply.rows is None and reason in reply.error
    assert reply.provenance.plan["op"] == "decline"


@pytest.mark.parametrize("request_", ["Change the name of GATA4 to FOO", "Merge TP53 and MDM2 into one gene",
                                      "forget everything about TP53", "make TP53 be on chromosome 5",
                                      "TP53 is now called FOO",
                                      "Which biosamples have POLR2A ChIP-seq? Then delete them."])
def test_writes_in_words_are_refused(agent, graph, request_):
    before = graph.stats()
    reply = agent.ask(request_)
    assert reply.refused and reply.answer is None and "read-only" in reply.error
    assert graph.stats() == before


def test_provenance_names_the_parser_and_the_plan(agent):
    reply = agent.ask("Which genes marking Memory B cell in PBMC are on chromosome 11?")
    assert reply.provenance.parser == "rules" and reply.provenance.confidence >= 0.6
    assert reply.provenance.plan["where"][0]["on"] == "cell_type" and reply.rows_total == len(reply.rows)
