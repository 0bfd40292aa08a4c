"""Disease-name matching on names nobody tuned it on: ClinVar and HPO often name one condition differently
('Glycogen storage disease, type VII' / 'Glycogen storage disease VII'). The index is built from ClinVar's
names only and queried with HPO's name of each OMIM condition whose two names differ; a hit is the
condition itself (top 1 / top 3), or any condition of the same genes (top 1). The pairs alternate
between a tuning half (where kg/disease_names.py's word weighting was chosen) and a test half, reported
by default.

    python -m evals.bench_disease_names [--split test|tune]

Prints one JSON object of figures.
"""

import argparse
import json
import statistics
import time

from kg.build import source_files
from kg.disease_names import DiseaseNameIndex, name_words
from kg.sources.clinvar import parse_clinvar_conditions
from kg.sources.hpo import parse_hpo_disease_names, parse_hpo_genes_to_disease


def pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, set[str]]]:
    """(ClinVar names, HPO-named queries with their ClinVar concept, concept -> genes)."""
    files = source_files()
    clinvar, by_omim, genes = {}, {}, {}
    for row in parse_clinvar_conditions(files["clinvar"]):
        clinvar[row["medgen_id"]] = row["name"]
        genes.setdefault(row["medgen_id"], set()).add(row["entrez_id"])
        if row["omim_id"]:
            by_omim.setdefault(row["omim_id"], row["medgen_id"])
    linked_omim = {r["disease_id"] for r in parse_hpo_genes_to_disease(files["hpo"])}
    queries = []
    for row in parse_hpo_disease_names(files["hpo_disease_names"]):
        prefix, _, number = row["disease_id"].partition(":")
        concept = by_omim.get(number) if prefix == "OMIM" else None
        if concept and row["disease_id"] in linked_omim and name_words(row["name"]) != name_words(clinvar[concept]):
            queries.append((row["name"], concept))
    return list(clinvar.items()), queries, genes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["test", "tune"], default="test")
    args = parser.parse_args()
    names, queries, genes = pairs()
    queries = queries[1::2] if args.split == "test" else queries[0::2]
    index = DiseaseNameIndex(names)
    top1 = top3 = same_genes = 0
    latencies = []
    for text, concept in queries:
        started = time.perf_counter()
        found = index.search(text, limit=3, min_score=0.0)
        latencies.append(time.perf_counter() - started)
        ids = [m.disease_id for m in found]
        top1 += ids[:1] == [concept]
        top3 += concept in ids
        same_genes += bool(ids) and bool(genes.get(ids[0], set()) & genes[concept])
    n = len(queries)
    print(json.dumps({"split": args.split, "queries": n, "names_indexed": len(names), "top1": round(top1 / n, 3),
                      "top3": round(top3 / n, 3), "top1_same_genes": round(same_genes / n, 3),
                      "search_p50_ms": round(statistics.median(latencies) * 1e3, 2)}))


if __name__ == "__main__":
    main()
