"""`geneverse eval`: compare systems on gene function descriptions (the paper's Table 1) and on gene facts."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from evals.systems import DEFAULT_SYSTEMS_FILE
from kg.files import input_text_file, output_file, output_folder
from kg.output import console, emit

app = typer.Typer(help="Evaluate and compare systems (Table 1 protocol, gene-fact accuracy).", no_args_is_help=True)


@app.command("describe")
def describe_command(
    systems: str = typer.Option("base,finetuned,rag,agent", "--systems", help="comma-separated names from the systems file"),
    genes: str = typer.Option("paper20", "--genes", help="paper20 | heldout:N | comma-separated symbols"),
    out: str = typer.Option(..., "--out", help="output folder (re-running it resumes)"),
    withhold_summaries: bool = typer.Option(
        False, "--withhold-summaries", help="honest setting: the genes' summaries are left out of graph and index"),
    systems_file: Path = typer.Option(DEFAULT_SYSTEMS_FILE, "--systems-file", help="TOML file defining the systems"),
    max_genes: int | None = typer.Option(None, "--max-genes", min=1,
                                         help="evaluate only the first N genes of the selection"),
    plots: bool = typer.Option(True, "--plots/--no-plots"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Each system describes each gene (greedy); grade, tabulate, plot, keep raw outputs."""
    from evals.describe import DescribeReport, run_describe

    count = genes.removeprefix("heldout:")
    if genes.startswith("heldout:") and not (count.isdigit() and int(count) > 0):
        raise typer.BadParameter(f"{genes!r}: heldout:N takes a number of genes, 1 or more", param_hint="--genes")
    names = [n.strip() for n in systems.split(",") if n.strip()]
    report = run_describe(names, genes, output_folder(out, "--out"), withheld=withhold_summaries,
                          systems_file=input_text_file(systems_file, "--systems-file"), progress=not as_json, plots=plots, max_genes=max_genes)

    def render(r: DescribeReport) -> None:
        table = Table("system", "factual", "structural", "average", "BLEU", "ROUGE-1", "s/gene",
                      title=f"Table 1 — {r.genes}, {r.setting} setting, {r.n_genes} genes")
        for s in r.systems:
            table.add_row(s.label, f"{s.factual:.3f}", f"{s.structural:.3f}", f"{s.average:.3f}",
                          f"{s.bleu:.2f}", f"{s.rouge1:.3f}", f"{s.seconds_per_gene:.1f}")
        console.print(table)
        for s in r.systems:
            console.print(f"{s.system}: {s.answers} answers, {s.errors} errors, factual {s.factual:.3f}, "
                          f"structural {s.structural:.3f}, average {s.average:.3f}, {s.seconds_per_gene:.1f} s/gene")
        console.print(f"written to {r.out}")

    emit(report, as_json, render)


@app.command("facts")
def facts_command(
    questions: Path = typer.Option(None, "--questions", help="TSV: type, question, answer (default: GeneTuring gene facts)"),
    out: str | None = typer.Option(None, "--out", help="write the per-question results here (JSON)"),
    use_llm: bool = typer.Option(False, "--use-llm", help="let the language model route and phrase answers"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Accuracy of the agent per fact type on gene-fact questions (GeneGPT-style normalisation)."""
    from agent.graph import GeneverseAgent
    from evals.facts import BUNDLED_QUESTIONS, FactsReport, run_facts

    questions_file = input_text_file(questions, "--questions") if questions is not None else BUNDLED_QUESTIONS
    out_file = output_file(out, "--out") if out is not None else None
    report = run_facts(questions_file, GeneverseAgent.from_env(use_llm=use_llm), progress=not as_json)
    if out_file is not None:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = out_file.with_name(f".{out_file.name}.tmp")
        tmp.write_text(report.model_dump_json(indent=1))
        tmp.replace(out_file)

    def render(r: FactsReport) -> None:
        table = Table("fact type", "accuracy", "questions", title=f"Gene facts — {r.questions}")
        for fact_type, row in r.by_type.items():
            table.add_row(fact_type, f"{row['accuracy']:.3f}", str(int(row["n"])))
        table.add_row("all", f"{r.accuracy:.3f}", str(len(r.results)))
        console.print(table)
        console.print(f"{r.seconds_per_question:.3f} s/question")

    emit(report, as_json, render)
