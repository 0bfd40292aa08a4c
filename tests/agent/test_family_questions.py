"""Questions about the genes of a condition family, or of one member; condition names that hold a word
which looks like a gene symbol or names a cell type are read as the condition."""

import pytest

from agent.entities import link_entities
from agent.graph import GeneverseAgent


@pytest.fixture(scope="module")
def agent(graph):
    return GeneverseAgent(graph)


def test_a_family_name_answers_the_union_and_names_the_members(agent):
    reply = agent.ask("Which genes are associated with Bare lymphocyte syndrome?")
    genes = set(reply.answer.split(", "))
    assert reply.route == "genes_of_disease" and {"TAP1", "TAP2", "CIITA", "RFX5"} <= genes
    assert "Bare lymphocyte syndrome, type I;" in reply.text and "Bare lymphocyte syndrome, type II" in reply.text
    assert {row["disease"] for row in reply.rows} == {"Bare lymphocyte syndrome, type I",
                                                     "Bare lymphocyte syndrome, type II"}


def test_a_member_name_answers_that_member_alone(agent):
    for question in ("Which genes are associated with Bare lymphocyte syndrome type 2?",
                     "What genes are linked to Bare lymphocyte syndrome, type II?"):
        genes = set(agent.ask(question).answer.split(", "))
        assert "CIITA" in genes and not genes & {"TAP1", "TAP2"}


def test_a_family_counts_as_one_condition_in_a_query(agent):
    family = set(agent.ask("Which genes are associated with Bare lymphocyte syndrome?").answer.split(", "))
    reply = agent.ask("How many genes are associated with Bare lymphocyte syndrome?")
    assert reply.answer == str(len(family)) and "family of 2 conditions" in reply.text


@pytest.mark.parametrize(("question", "symbol"), [
    ("Which genes are associated with ICF syndrome?", "DNMT3B"),  # 'ICF' is also a gene's alias
    ("Which genes are associated with Dilated cardiomyopathy 1D?", "TNNT2"),  # '1D' reads as a symbol
    ("What genes cause MEHMO syndrome?", "EIF2S3"),
    ("Which genes are associated with Lymphatic malformation?", "FLT4"),  # 'Lymphatic' names a cell type
    ("Which genes are associated with Combined immunodeficiency due to ZAP70 deficiency?", "ZAP70"),
    ("Which genes are associated with Microcephaly 17, primary, autosomal recessive?", None),  # not 'Micro-C'
])
def test_condition_names_holding_symbol_like_words_route_to_the_condition(agent, question, symbol):
    reply = agent.ask(question)
    assert reply.route == "genes_of_disease" and reply.answer
    assert symbol is None or symbol in reply.answer.split(", ")


def test_a_family_name_is_read_whole(graph):
    entities = link_entities("Which genes are associated with Classical-like Ehlers-Danlos syndrome?", graph)
    assert entities.disease == "classical-like ehlers-danlos syndrome" and entities.unresolved == []


def test_a_symbol_that_is_the_whole_name_stays_a_gene(agent):
    assert agent.ask("What diseases is ALS2 linked to?").route == "diseases_of_gene"
    assert agent.ask("Which genes are associated with TP53?").route != "genes_of_disease"


def test_a_family_name_around_a_condition_name_is_read_whole(agent):
    reply = agent.ask("Which genes cause Hypertrophic cardiomyopathy?")  # 'cardiomyopathy' alone is a condition
    assert reply.route == "genes_of_disease" and "a family of" in reply.text
    assert {"MYH7", "MYBPC3", "TNNT2"} <= set(reply.answer.split(", "))


def test_a_letter_after_the_name_names_a_member(agent):
    assert agent.ask("Which genes are linked to Niemann-Pick disease type A?").answer == "SMPD1"
    assert {"NPC1", "SMPD1"} <= set(agent.ask("Which genes are linked to Niemann-Pick disease?").answer.split(", "))
