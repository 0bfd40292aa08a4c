"""The agent end to end on the real graph: answers, provenance, honest refusals, context, LLM routing,
and post-correction of model text."""

import pytest
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage

from agent.graph import GeneverseAgent
from finetune.tiny import build_tiny_llm
from tools.llm import LLMConfig


class ScriptedModel:
    """A text generator with prepared replies (a model that gets facts wrong, on demand)."""

    name = "scripted"

    def __init__(self, *replies: str):
        self.replies = list(replies)

    def generate(self, prompt: str, *, system: str | None = None, max_new_tokens: int | None = None) -> str:
        return self.replies.pop(0)

    def chat_model(self):
        return None


@pytest.fixture(scope="module")
def agent(graph):
    return GeneverseAgent(graph)


def test_facts_in_genegpt_style_with_provenance(agent, graph):
    her2 = agent.ask("What is the official gene symbol of HER2?")
    assert (her2.answer, her2.route, her2.error) == ("ERBB2", "official_symbol", None)
    assert her2.provenance.tool == "gene_facts.official_symbol" and her2.provenance.records == ["HGNC:3430"]
    assert agent.ask(f"Convert {graph.gene('TP53').ensembl_id} to official gene symbol.").answer == "TP53"
    assert agent.ask("Which chromosome is XIST located on?").answer == "chrX"
    assert agent.ask("Is MALAT1 a protein-coding gene?").answer == "NA"
    assert agent.ask("Is TP53 a protein-coding gene?").answer == "TRUE"


def test_enrichment_answer_carries_adjusted_p_values(agent):
    reply = agent.ask("The enriched GO term for CDK1, CCNB1, CDC20, PLK1, BUB1 is")
    assert reply.route == "go_enrichment" and reply.rows[0]["name"] == reply.answer
    assert reply.rows[0]["p_adjusted"] < 1e-6 and reply.provenance.records[0] == reply.rows[0]["go_id"]


def test_omics_answers_show_their_cypher_and_rows(agent, graph):
    reply = agent.ask("How many Enformer tracks measure H3K27ac?")
    assert reply.answer == str(len(graph.tracks(target="H3K27ac")))
    assert reply.provenance.tool == "query_plan" and "MATCH (x:Track)" in reply.provenance.cypher
    assert reply.provenance.plan == {"op": "count", "find": "track", "where": [{"on": "target", "values": ["H3K27ac"]}]}
    biosamples = agent.ask("Which biosamples have POLR2A ChIP-seq?")
    assert {r["biosample"] for r in biosamples.rows} == {e.biosample for e in graph.experiments(assay="ChIP-seq",
                                                                                               target="POLR2A")}


@pytest.mark.parametrize(("question", "reason"), [
    ("What is the official symbol of FOOBAR123?", "No gene named 'FOOBAR123'"),
    ("What is the weather today?", "no gene, identifier or omics term"),
    ("Which protein is shown in /nonexistent/structure.png?", "Cannot answer"),
    ("Explain the predicted regulatory tracks around GATA4", "Cannot answer"),
])
def test_cannot_answer_honestly(agent, monkeypatch, question, reason):
    for variable in ("GENEVERSE_ENFORMER_WEIGHTS", "GENEVERSE_GENOME_FASTA", "GENEVERSE_MLLM_PROTEIN"):
        monkeypatch.delenv(variable, raising=False)
    reply = agent.ask(question)
    assert reply.answer is None and reply.error and reason in reply.error and reply.text == reply.error


def test_chat_history_resolves_it(agent):
    first = agent.ask("Where is TP53 located?")
    follow = agent.ask("Which chromosome is it on?", history=[first])
    assert (follow.answer, follow.route) == ("chr17", "chromosome")


def test_tool_calling_chat_model_routes_the_question(graph):
    agent = GeneverseAgent(graph)
    agent.chat_model = FakeMessagesListChatModel(responses=[
        AIMessage(content="", tool_calls=[{"name": "ProteinCoding", "args": {"gene": "XIST"}, "id": "c1"}])])
    reply = agent.ask("Does the X-inactivation transcript make a protein?")
    assert (reply.route, reply.answer) == ("protein_coding", "NA")


def test_description_is_post_corrected_against_the_graph(graph):
    gli1 = graph.gene("GLI1")
    agent = GeneverseAgent(graph, generator=ScriptedModel(
        "GLI1, also known as GLI-1; GLI-2; GLI-3; GLI-4; ... GLI-34, is a zinc finger transcription factor of the "
        "hedgehog pathway located on chromosome 7."))
    reply = agent.describe("GLI1", grounded=False)
    assert reply.route == "describe" and reply.provenance.model == "scripted"
    fixed = {c.field: c.after for c in reply.provenance.corrections}
    assert fixed == {"aliases": ", ".join(gli1.aliases + gli1.previous_symbols), "chromosome": gli1.chromosome}
    assert "GLI-34" not in reply.text and "hedgehog pathway" in reply.text


def test_description_loses_its_repetition_unless_asked_to_keep_it(graph):
    looping = ("GLI1 is a zinc finger transcription factor of the hedgehog pathway. GLI1 is a zinc finger "
               "transcription factor of the hedgehog pathway. It binds")
    tidy = GeneverseAgent(graph, generator=ScriptedModel(looping))
    raw = GeneverseAgent(graph, tidy_drafts=False, generator=ScriptedModel(looping))
    reply = tidy.describe("GLI1", grounded=False)
    assert reply.text == "GLI1 is a zinc finger transcription factor of the hedgehog pathway."
    assert [c.field for c in reply.provenance.corrections] == ["repetition", "unfinished_sentence"]
    assert raw.describe("GLI1", grounded=False).text == looping


def test_model_phrased_fact_reply_is_checked(graph):
    agent = GeneverseAgent(graph, generator=ScriptedModel("HER2 is ERBB2, found on chromosome 5 (HGNC:9999).",
                                                          "I am not sure."))
    agent.use_llm = True
    reply = agent.ask("What is the official gene symbol of HER2?")
    assert reply.answer == "ERBB2" and reply.text == "HER2 is ERBB2, found on chromosome 17 (HGNC:3430)."
    assert {c.field for c in reply.provenance.corrections} == {"chromosome", "hgnc_id"}
    # a reply that lost the graph's answer is dropped for the tool's own text
    dropped = agent.ask("What is the official gene symbol of HER2?")
    assert dropped.answer == "ERBB2" and "ERBB2" in dropped.text and dropped.provenance.corrections == []


def test_real_model_in_the_loop_loads_once(graph, tmp_path):
    tiny = build_tiny_llm(tmp_path / "tiny-llama")
    agent = GeneverseAgent.from_env(llm=LLMConfig(backend="hf", model_path=str(tiny), adapter=None,
                                                  max_new_tokens=8), use_llm=True, graph=graph)
    reply = agent.ask("Which chromosome is XIST located on?")
    assert reply.answer == "chrX" and reply.provenance.model == "tiny-llama"
    described = agent.describe("XIST")
    assert described.provenance.model == "tiny-llama" and described.answer == "XIST" and described.error is None


@pytest.mark.parametrize("statement", ["CALL db.labels()", "MATCH (n) DETACH DELETE n", "CHECKPOINT"])
def test_cypher_writes_asked_of_the_agent_are_refused(agent, graph, statement):
    before = graph.stats()
    reply = agent.ask(statement)
    assert reply.route == "omics_query" and reply.answer is None and "read-only" in reply.error
    assert graph.stats() == before


def test_follow_up_asks_the_same_of_another_gene(agent):
    first = agent.ask("Which chromosome is XIST located on?")
    follow = agent.ask("What about BRCA1?", history=[first])
    assert (follow.route, follow.answer) == ("chromosome", "chr17")
