"""Graph post-correction (`tools.correction.correct_text`) on text whose truth is known, and on model drafts.

- Summaries: each gene's own RefSeq summary is curated true text, so every edit made to it is a candidate
  false edit (a few may be bands the summary states out of date; each is printed for a reader to judge).
- Drafts: the fine-tuned model's answers for the same genes (`raw/finetuned.jsonl` of the Table 1 run),
  corrections counted by field.
- For both: seconds per text (p50 / p95) and the share of claims found that the graph checked.

    python -m evals.bench_correction [--genes heldout:200] [--drafts FILE] [--json]

`--genes` takes what `geneverse eval describe --genes` takes; the default is Table 1's 200 held-out genes.
"""

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from evals.describe import select_genes
from kg.graph import open_graph
from tools.correction import correct_text

DRAFTS = Path(__file__).parent / "reports" / "heldout" / "raw" / "finetuned.jsonl"


def measure(texts: list[tuple[str, str]], graph) -> dict:
    """Run correct_text on each (symbol, text); return the edits, their count by field, timing and claim shares."""
    edits, seconds, claims, statements = [], [], Counter(), 0
    for symbol, text in texts:
        gene = graph.gene(symbol)
        started = time.perf_counter()
        result = correct_text(text, gene, graph)
        seconds.append(time.perf_counter() - started)
        edits += [{"gene": gene.symbol, "field": c.field, "before": c.before, "after": c.after, "reason": c.reason}
                  for c in result.corrections]
        claims.update(c.status for c in result.claims)
        statements += sum(c.field == "statement" for c in result.claims)
    found = sum(claims.values())
    # 'statement' claims are prose the graph does not hold, so always unchecked: also give the share without them
    facts = found - statements
    return {
        "texts": len(texts),
        "edits": len(edits),
        "edits_by_field": dict(Counter(e["field"] for e in edits).most_common()),
        "genes_edited": sorted({e["gene"] for e in edits}),
        "seconds_p50": round(statistics.median(seconds), 4),
        "seconds_p95": round(sorted(seconds)[int(0.95 * (len(seconds) - 1))], 4),
        "claims": dict(claims),
        "checked_share": round((found - claims["unchecked"]) / found, 3) if found else None,
        "checked_share_without_statements": round((found - claims["unchecked"]) / facts, 3) if facts else None,
        "edit_list": edits,
    }


def run(spec: str, drafts: Path, graph) -> dict:
    genes = select_genes(spec, graph)
    # The first call loads the graph's lookup tables; keep that out of the per-text timing.
    correct_text("", graph.gene(genes[0]), graph)
    report = {"genes": spec, "summaries": measure([(s, graph.gene(s).summary) for s in genes], graph)}
    if drafts.exists():
        wanted = set(genes)
        rows = [json.loads(line) for line in drafts.read_text().splitlines() if line.strip()]
        report["drafts_file"] = str(drafts)
        report["drafts"] = measure([(r["symbol"], r["text"]) for r in rows if r["symbol"] in wanted and r.get("text")],
                                   graph)
    return report


def show(name: str, figures: dict, list_edits: bool) -> None:
    print(f"{name}: {figures['texts']} texts, {figures['edits']} edits {figures['edits_by_field']}")
    print(f"  seconds per text p50 {figures['seconds_p50']} p95 {figures['seconds_p95']}; "
          f"claims {figures['claims']}, checked share {figures['checked_share']} "
          f"({figures['checked_share_without_statements']} without prose statements)")
    if list_edits:
        print(f"  genes edited: {', '.join(figures['genes_edited']) or '-'}")
        for e in figures["edit_list"]:
            print(f"  {e['gene']} {e['field']}: {e['before']!r} -> {e['after']!r}" + (f" ({e['reason']})" if e["reason"] else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", default="heldout:200", help="heldout:N | paper20 | comma-separated symbols")
    parser.add_argument("--drafts", type=Path, default=DRAFTS, help="raw answers (JSONL with symbol, text)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    report = run(args.genes, args.drafts, open_graph())
    if args.json:
        print(json.dumps(report, indent=1))
        return
    show("RefSeq summaries (true text; every edit is a candidate false edit)", report["summaries"], list_edits=True)
    if "drafts" in report:
        show(f"drafts {report['drafts_file']}", report["drafts"], list_edits=False)


if __name__ == "__main__":
    main()
