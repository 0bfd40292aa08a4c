"""Routing: rules over linked entities, and tool calling with scripted chat models from langchain_core."""

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage

from agent.entities import link_entities
from agent.router import route_question, rule_route

EXAMPLES = [
    ("What is the official gene symbol of HER2?", "official_symbol"),
    ("Convert ENSG00000141510 to official gene symbol.", "official_symbol"),
    ("Which chromosome is XIST located on?", "chromosome"),
    ("Where is TP53 located?", "cytoband"),
    ("Is MALAT1 a protein-coding gene?", "protein_coding"),
    ("What is the Ensembl id of TP53?", "identifier"),
    ("The enriched GO term for CDK1, CCNB1, CDC20, PLK1, BUB1 is", "go_enrichment"),
    ("Which biosamples have POLR2A ChIP-seq?", "omics_query"),
    ("List DNase-seq experiments in liver", "omics_query"),
    ("Which transcription factors were profiled by ChIP-seq in HepG2?", "omics_query"),
    ("Which genes lie in 17p13.1?", "omics_query"),
    ("How many Enformer tracks measure H3K27ac?", "omics_query"),
    ("Which genes are associated with cystic fibrosis?", "genes_of_disease"),
    ("What diseases is BRCA1 linked to?", "diseases_of_gene"),
    ("What are the GO molecular functions of TP53?", "go_terms"),
    ("What is the function of TP53?", "describe"),
    ("Explain the predicted regulatory tracks around GATA4", "tracks"),
    ("Which protein is shown in structure.png?", "protein_image"),
    ("What is the weather today?", "unknown"),
]


@pytest.mark.parametrize(("question", "route"), EXAMPLES)
def test_rules_route_the_examples(graph, question, route):
    assert rule_route(question, link_entities(question, graph)).route == route


def test_tool_call_of_a_chat_model_picks_the_route(graph):
    question = "Where on the genome does the X-inactivation transcript sit?"
    model = FakeMessagesListChatModel(responses=[
        AIMessage(content="", tool_calls=[{"name": "Chromosome", "args": {"gene": "XIST"}, "id": "call-1"}])])
    decision = route_question(question, link_entities(question, graph), model)
    assert (decision.route, decision.args, decision.by) == ("chromosome", {"gene": "XIST"}, "llm")


def test_generic_fake_chat_model_with_tool_calls(graph):
    question = "Find enriched processes in CDK1 and PLK1"
    reply = AIMessage(content="", tool_calls=[
        {"name": "GoEnrichment", "args": {"genes": ["CDK1", "PLK1"], "aspect": "BP"}, "id": "call-1"}])
    decision = route_question(question, link_entities(question, graph), GenericFakeChatModel(messages=iter([reply])))
    assert decision.route == "go_enrichment" and decision.args == {"genes": ["CDK1", "PLK1"], "aspect": "BP"}


@pytest.mark.parametrize("reply", [
    AIMessage(content="ERBB2"),  # an answer from memory is not a route
    AIMessage(content="", tool_calls=[{"name": "DeleteEverything", "args": {}, "id": "c"}]),
    AIMessage(content="", tool_calls=[{"name": "Chromosome", "args": {"wrong": 1}, "id": "c"}]),
])
def test_no_usable_tool_call_falls_back_to_the_rules(graph, reply):
    question = "What is the official gene symbol of HER2?"
    decision = route_question(question, link_entities(question, graph), FakeMessagesListChatModel(responses=[reply]))
    assert (decision.route, decision.by) == ("official_symbol", "intent")
