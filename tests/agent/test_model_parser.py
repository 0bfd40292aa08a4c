"""The packaged fine-tuned semantic parser: its decoding is exactly greedy decoding under the plan's grammar,
every plan it writes parses, a plan naming what the question does not write is refused, and the agent asks it
only when the rules are unsure, saying so in the reply's provenance."""

import json

import pytest

from agent.graph import GeneverseAgent
from agent.model_parser import ModelParser, copied_next, unfounded
from tools.query.plan import Plan

QUESTIONS = ["Is BRCA1 longer than BRCA2?", "Which genes are markers of hepatocytes in liver?"]


@pytest.fixture(scope="module")
def model_parser():
    parser = ModelParser.packaged()
    if parser is None:
        pytest.skip("the parser adapter is not in tools/adapters (train it with `geneverse finetune parser`)")
    return parser


def _greedy_under_grammar(model_parser, question: str) -> str:
    """One token per forward pass, the grammar's mask applied, no drafts: the reference decoding."""
    import torch
    import xgrammar as xgr

    from tools.llm import format_prompt

    model, tokenizer, grammar, info = model_parser._load()
    matcher = xgr.GrammarMatcher(grammar)
    mask = xgr.allocate_token_bitmask(1, info.vocab_size)
    prompt = format_prompt(tokenizer, question, system=model_parser.system, template="chat")
    ids = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).input_ids
    past, written = None, []
    with torch.inference_mode():
        while not matcher.is_terminated():
            out = model(input_ids=ids, past_key_values=past, use_cache=True)
            past = out.past_key_values
            logits = out.logits[:, -1, :].float()
            matcher.fill_next_token_bitmask(mask)
            xgr.apply_token_bitmask_inplace(logits, mask)
            chosen = int(torch.argmax(logits, dim=-1))
            assert matcher.accept_token(chosen)
            if not matcher.is_terminated():
                written.append(chosen)
            ids = torch.tensor([[chosen]])
    return tokenizer.decode(written, skip_special_tokens=True)


@pytest.mark.parametrize("question", QUESTIONS)
def test_drafted_decoding_writes_what_greedy_decoding_writes(model_parser, question):
    plan, confidence, passes = model_parser.propose(question)
    reference = _greedy_under_grammar(model_parser, question)
    assert plan == json.loads(reference)
    assert len(reference) > passes  # drafts save passes: fewer passes than characters written
    assert 0 < confidence <= 1
    Plan.model_validate(plan)


def test_a_question_of_the_trained_kinds_reads_as_its_plan(model_parser, graph):
    parsed = model_parser.parse("Is BRCA1 longer than BRCA2?", graph)
    assert parsed.parser == "model" and parsed.plan is not None
    assert parsed.plan.model_dump(exclude_defaults=True, mode="json") == {
        "op": "check", "ask": "length", "names": ["BRCA1", "BRCA2"]}


def test_names_the_question_does_not_write_are_refused():
    question = "What is the weather today?"
    assert unfounded(Plan.model_validate({"op": "get", "ask": "chromosome", "names": ["TP53"]}), question) == ["TP53"]
    near = {"op": "nearest", "where": [{"on": "location", "op": "overlaps", "values": ["chr12:25200000"]}]}
    assert unfounded(Plan.model_validate(near), "Which gene is closest to chr12:25,200,000?") == []
    # the graph's own words for a property are linked, not looked for in the question
    coding = {"op": "check", "names": ["BCL2L8"], "where": [{"on": "locus_group", "values": ["protein-coding gene"]}]}
    assert unfounded(Plan.model_validate(coding), "does BCL2L8 code for a protein") == []


def test_copy_drafts_continue_the_question_inside_a_string():
    question = "count the genes linked to Shwachman-Diamond syndrome 1"
    assert copied_next('{"where":[{"values":["Shwach', question, 12) == "man-Diamond "
    assert copied_next('{"op":"count"', question) == ""  # not inside a string
    assert copied_next('{"names":["', question) == ""  # nothing written yet to find


def test_the_agent_asks_the_model_only_when_the_rules_are_unsure(graph, model_parser):
    agent = GeneverseAgent(graph, model_parser=model_parser)
    sure = agent.ask("What is the official symbol of HER2?")
    assert sure.provenance.parser == "rules" and sure.answer == "ERBB2"
    reply = agent.ask("What is the weather today?")
    assert reply.answer is None and reply.route == "unknown"


def test_the_model_answers_what_the_rules_cannot(graph, model_parser):
    question = "Which genes are markers of NK in heart?"  # 'NK' is no gene, and the rules read no cell type
    assert GeneverseAgent(graph).understand(question).confidence < 0.6
    reply = GeneverseAgent(graph, model_parser=model_parser).ask(question)
    assert reply.provenance.parser == "model" and reply.provenance.plan["where"][0]["on"] == "cell_type"
    assert {"NKG7", "GNLY", "KLRD1"} <= set(reply.answer.split(", "))
