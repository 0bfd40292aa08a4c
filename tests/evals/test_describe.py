"""The Table 1 runner: gene selection, systems from configuration, a small resumable run end to end."""

import json
import subprocess

import pytest

from evals.describe import heldout_genes, run_describe, select_genes
from evals.systems import load_specs, select_specs
from finetune.data import PAPER_TEST_GENES
from kg.errors import GeneverseError

TINY_SYSTEMS = """
[systems.base]
kind = "llm"
adapter = "none"
max_new_tokens = 16
batch = 2

[systems.agent]
kind = "agent"
adapter = "none"
max_new_tokens = 16
grounded = false

[systems.template]
kind = "template"

[systems.composed]
kind = "agent"
draft = false

[systems.rag]
kind = "rag"
adapter = "none"
max_new_tokens = 16
"""


def test_paper_genes_resolve_to_twenty_symbols(graph):
    assert select_genes("paper20", graph) == list(PAPER_TEST_GENES)
    assert select_genes("gli1, casp10", graph) == ["GLI1", "CASP10"]


def test_heldout_genes_are_deterministic_unseen_and_summarised(graph):
    genes = heldout_genes(graph, 30)
    assert genes == heldout_genes(graph, 40)[:30]
    assert not set(genes) & set(PAPER_TEST_GENES)
    assert all(g.summary for g in graph.genes([graph.gene(s).gene_id for s in genes]))
    with pytest.raises(GeneverseError, match="heldout:N"):
        select_genes("heldout:many", graph)


def test_bundled_systems_and_bad_configs(tmp_path):
    assert {"base", "finetuned", "rag", "agent"} <= set(load_specs())
    bad = tmp_path / "bad.toml"
    bad.write_text('[systems.x]\nkind = "oracle"\n')
    with pytest.raises(GeneverseError, match="system 'x'"):
        load_specs(bad)
    with pytest.raises(GeneverseError, match="Unknown system"):
        select_specs(["nope"])


def test_small_run_end_to_end_and_resume(graph_home, tmp_path):
    systems = tmp_path / "systems.toml"
    systems.write_text(TINY_SYSTEMS)
    out = tmp_path / "out"
    report = run_describe(["base", "agent"], "GLI1,CASP10", out, systems_file=systems, progress=False)
    assert [s.system for s in report.systems] == ["base", "agent"]
    assert all(s.answers == 2 and 0 <= s.average <= 1 for s in report.systems)
    for name in ("table1_GLI1-CASP10_normal.md", "table1_GLI1-CASP10_normal.csv", "grades_GLI1-CASP10_normal.csv",
                 "plots/GLI1-CASP10_normal_average.png", "raw/base.jsonl", "raw/agent.jsonl"):
        assert (out / name).is_file(), name
    table = (out / "table1_GLI1-CASP10_normal.md").read_text()
    assert "| system | factual | structural | average | BLEU | ROUGE-1 |" in table
    # the agent drafts with the same model and prompt as "base": one generation per gene serves both
    generations = (out / "generations.jsonl").read_text().splitlines()
    assert len(generations) == 2
    agent_answer = json.loads((out / "raw/agent.jsonl").read_text().splitlines()[0])
    assert agent_answer["provenance"]["tool"] == "llm.describe" and agent_answer["seconds"] > 0
    again = run_describe(["base", "agent"], "GLI1,CASP10", out, systems_file=systems, progress=False, plots=False)
    assert (out / "generations.jsonl").read_text().splitlines() == generations
    assert [s.average for s in again.systems] == [s.average for s in report.systems]


def test_systems_without_a_model(graph_home, tmp_path):
    systems = tmp_path / "systems.toml"
    systems.write_text(TINY_SYSTEMS)
    out = tmp_path / "out"
    report = run_describe(["template", "composed"], "GLI1,MIR608", out, systems_file=systems, progress=False,
                          plots=False)
    assert [s.answers for s in report.systems] == [2, 2]
    template, composed = ([json.loads(line) for line in (out / f"raw/{name}.jsonl").read_text().splitlines()]
                          for name in ("template", "composed"))
    assert template[0]["text"].startswith("GLI1 (GLI family zinc finger 1), gene with protein product, 12q13.3.")
    assert composed[0]["provenance"]["tool"] == "describe.describe_gene" and composed[0]["model"] is None
    assert composed[1]["text"].startswith("MIR608 (microRNA 608) is a microRNA gene")
    assert not (out / "generations.jsonl").exists()  # no model ran


def test_rag_without_an_index_is_one_clear_error(graph_home, tmp_path):
    systems = tmp_path / "systems.toml"
    systems.write_text(TINY_SYSTEMS)
    done = subprocess.run(["geneverse", "eval", "describe", "--systems", "rag", "--genes", "GLI1",
                           "--systems-file", str(systems), "--out", str(tmp_path / "o")],
                          check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "index" in done.stderr and "geneverse rag index" in done.stderr and "Traceback" not in done.stderr
