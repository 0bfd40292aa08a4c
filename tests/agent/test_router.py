"""Routing: every question reads as a typed plan whose shape picks a registry tool; Cypher, writes and image
files take fixed routes; tool calling with scripted chat models from langchain_core."""

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from agent.entities import link_entities
from agent.graph import GeneverseAgent
from agent.router import fixed_route, llm_route

EXAMPLES = [
    ("What is the official gene symbol of HER2?", "official_symbol"),
    ("Convert ENSG00000141510 to official gene symbol.", "official_symbol"),
    ("Which chromosome is XIST located on?", "chromosome"),
    ("Where is TP53 located?", "cytoband"),
    ("Is MALAT1 a protein-coding gene?", "protein_coding"),
    ("What is the Ensembl id of TP53?", "identifier"),
    ("The enriched GO term for CDK1, CCNB1, CDC20, PLK1, BUB1 is", "go_enrichment"),
    ("Which biosamples have POLR2A ChIP-seq?", "query_plan"),
    ("List DNase-seq experiments in liver", "query_plan"),
    ("Which transcription factors were profiled by ChIP-seq in HepG2?", "query_plan"),
    ("Which genes lie in 17p13.1?", "query_plan"),
    ("How many Enformer tracks measure H3K27ac?", "query_plan"),
    ("What are the aliases of CDKN2A?", "query_plan"),
    ("Which genes are associated with cystic fibrosis?", "genes_of_disease"),
    ("What diseases is BRCA1 linked to?", "diseases_of_gene"),
    ("What are the GO molecular functions of TP53?", "go_terms"),
    ("What is the function of TP53?", "describe"),
    ("Explain the predicted regulatory tracks around GATA4", "tracks"),
    ("What is the weather today?", "unknown"),
]


@pytest.fixture(scope="module")
def agent(graph):
    return GeneverseAgent(graph)


@pytest.mark.parametrize(("question", "route"), EXAMPLES)
def test_plans_route_the_examples(agent, question, route):
    assert agent.ask(question).route == route


@pytest.mark.parametrize(("question", "route"), [
    ("MATCH (t:Track) RETURN count(t) AS n", "omics_query"),
    ("Delete all tracks for K562", "omics_query"),
    ("Which protein is shown in structure.png?", "protein_image"),
])
def test_fixed_routes(graph, question, route):
    assert fixed_route(question, link_entities(question, graph)).route == route


def test_tool_call_of_a_chat_model_picks_the_route(graph):
    question = "Where on the genome does the X-inactivation transcript sit?"
    model = FakeMessagesListChatModel(responses=[
        AIMessage(content="", tool_calls=[{"name": "Chromosome", "args": {"gene": "XIST"}, "id": "call-1"}])])
    decision = llm_route(question, link_entities(question, graph), model)
    assert (decision.route, decision.args, decision.by) == ("chromosome", {"gene": "XIST"}, "llm")


def test_generic_fake_chat_model_with_tool_calls(graph):
    question = "Find enriched processes in CDK1 and PLK1"
    reply = AIMessage(content="", tool_calls=[
        {"name": "GoEnrichment", "args": {"genes": ["CDK1", "PLK1"], "aspect": "BP"}, "id": "call-1"}])
    decision = llm_route(question, link_entities(question, graph), GenericFakeChatModel(messages=iter([reply])))
    assert decision.route == "go_enrichment" and decision.args == {"genes": ["CDK1", "PLK1"], "aspect": "BP"}


@pytest.mark.parametrize("reply", [
    AIMessage(content="ERBB2"),  # an answer from memory is not a route
    AIMessage(content="", tool_calls=[{"name": "DeleteEverything", "args": {}, "id": "c"}]),
    AIMessage(content="", tool_calls=[{"name": "Chromosome", "args": {"wrong": 1}, "id": "c"}]),
])
def test_no_usable_tool_call_falls_back_to_the_plan(graph, reply):
    question = "What is the official gene symbol of HER2?"
    assert llm_route(question, link_entities(question, graph), FakeMessagesListChatModel(responses=[reply])) is None
    agent = GeneverseAgent(graph)
    agent.chat_model = FakeMessagesListChatModel(responses=[reply])
    answer = agent.ask(question)
    assert (answer.route, answer.provenance.parser, answer.answer) == ("official_symbol", "rules", "ERBB2")
