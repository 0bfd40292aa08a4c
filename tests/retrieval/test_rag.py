"""The RAG baseline with the packaged small model: the gene's own document leads the prompt."""

import pytest

from retrieval.index import GeneIndex
from retrieval.rag import RagSystem
from tools.llm import LLMConfig, load_llm


@pytest.fixture(scope="module")
def rag(graph, tmp_path_factory):
    index = GeneIndex.open(tmp_path_factory.mktemp("rag-index"))
    index.build(graph, genes=["GLI1", "GLI2", "GLI3", "PTCH1", "CASP10", "FGF7"])
    return RagSystem(index, load_llm(LLMConfig(adapter=None, max_new_tokens=12)), k=3)


def test_retrieval_puts_the_gene_first_then_neighbours(rag):
    docs = rag.retrieve("GLI1")
    assert docs[0].symbol == "GLI1"
    assert len(docs) == 3 and len({d.gene_id for d in docs}) == 3
    prompt = rag.prompt("GLI1", docs)
    assert prompt.index("[1] GLI1:") < prompt.index("[2]") < prompt.index("summarize the major function of gene: GLI1")


def test_answers_are_generated_from_the_prompt(rag):
    (answer,) = rag.answer_batch(["CASP10"])
    assert answer.text and answer.retrieved[0].symbol == "CASP10"
    assert answer.model == "SmolLM2-135M-Instruct"
    assert rag.describe("CASP10") == answer.text  # greedy: repeatable
