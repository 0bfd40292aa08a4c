"""Calibrate the factual grader's content thresholds on real data; writes evals/calibration.json.

A description has the right function content when its ROUGE-1 recall against the reference and its
embedding cosine similarity with it are both high enough. "High enough" is set here, on genes that
no evaluation uses (the fine-tuning train split): each gene's function written independently of its
RefSeq summary, from its direct GO terms, is paired with its own summary (matched) and with the
summary of another random gene (mismatched). Each threshold maximises Youden's J (true-positive
rate minus false-positive rate) between the two. The same run checks that the graders do not fail
the references themselves (identifiers, structure), so the checks are not stricter than the
curated text they compare with.

    python -m evals.calibrate [--genes 600] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from statistics import fmean
from typing import Any

import numpy as np

from evals.graders import CALIBRATION_FILE, rouge1, structural_checks, wrong_identifiers
from finetune.data import DataConfig, clean_summary, split_of
from retrieval.embedder import SentenceEmbedder

_VERBS = {"BP": "It is involved in", "MF": "It enables", "CC": "It is located in"}


def go_description(terms: dict[str, list[str]]) -> str:
    """A function description written from GO terms alone (no summary, no name, no symbol)."""
    return " ".join(f"{_VERBS[a]} " + ", ".join(sorted(terms[a])[:10]) + "." for a in ("BP", "MF", "CC")
                    if terms.get(a))


def youden(matched: np.ndarray, mismatched: np.ndarray) -> tuple[float, float, float, float]:
    """(threshold, J, TPR, FPR) at the cut that best separates matched from mismatched scores."""
    best = (0.0, -1.0, 0.0, 0.0)
    for cut in np.unique(np.concatenate([matched, mismatched])):
        tpr, fpr = float(np.mean(matched >= cut)), float(np.mean(mismatched >= cut))
        if tpr - fpr > best[1]:
            best = (float(cut), tpr - fpr, tpr, fpr)
    return best


def auc(matched: np.ndarray, mismatched: np.ndarray) -> float:
    """Probability that a matched pair outscores a mismatched one (ties count half)."""
    greater = (matched[:, None] > mismatched[None, :]).mean()
    ties = (matched[:, None] == mismatched[None, :]).mean()
    return float(greater + 0.5 * ties)


def calibrate(graph: Any, n_genes: int = 600, seed: int = 7) -> dict[str, Any]:
    config = DataConfig()
    terms: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    names = graph.go_term_names()
    for aspect in ("BP", "MF", "CC"):
        for go_id, symbols in graph.go_annotations(aspect=aspect, direct_only=True).items():
            for symbol in symbols:
                terms[symbol][aspect].append(names.get(go_id, go_id))
    rows = graph.query("MATCH (g:Gene) WHERE g.summary IS NOT NULL AND g.summary <> '' "
                       "RETURN g.gene_id AS gene_id, g.symbol AS symbol")
    pool = sorted((r["gene_id"], r["symbol"]) for r in rows
                  if split_of(r["gene_id"], config) == "train" and sum(map(len, terms[r["symbol"]].values())) >= 5)
    rng = random.Random(seed)
    chosen = rng.sample(pool, min(n_genes, len(pool)))
    genes = graph.genes([gene_id for gene_id, _ in chosen])
    summaries = [clean_summary(g.summary) for g in genes]
    candidates = [go_description(terms[g.symbol]) for g in genes]
    shift = [(i + rng.randrange(1, len(genes))) % len(genes) for i in range(len(genes))]

    embedder = SentenceEmbedder()
    cand_vecs, ref_vecs = embedder.encode(candidates), embedder.encode(summaries)
    matched_sim = np.sum(cand_vecs * ref_vecs, axis=1)
    mismatched_sim = np.sum(cand_vecs * ref_vecs[shift], axis=1)
    matched_recall = np.array([rouge1(c, r)[0] for c, r in zip(candidates, summaries, strict=True)])
    mismatched_recall = np.array([rouge1(c, summaries[j])[0] for c, j in zip(candidates, shift, strict=True)])

    recall_cut, recall_j, recall_tpr, recall_fpr = youden(matched_recall, mismatched_recall)
    sim_cut, sim_j, sim_tpr, sim_fpr = youden(matched_sim, mismatched_sim)
    both_matched = float(np.mean((matched_recall >= recall_cut) & (matched_sim >= sim_cut)))
    both_mismatched = float(np.mean((mismatched_recall >= recall_cut) & (mismatched_sim >= sim_cut)))

    structure = [structural_checks(s) for s in summaries]
    return {
        "thresholds": {
            "rouge1_recall": round(recall_cut, 4),
            "embedding_similarity": round(sim_cut, 4),
            "note": "Youden-optimal cuts between matched and mismatched (GO description, RefSeq summary) pairs",
        },
        "made": time.strftime("%Y-%m-%d", time.gmtime()),
        "data": {"genes": len(genes), "seed": seed, "pool": "train split, RefSeq summary, >=5 direct GO terms",
                 "embedder": embedder.label},
        "rouge1_recall": {"auc": round(auc(matched_recall, mismatched_recall), 4), "j": round(recall_j, 4),
                          "tpr": round(recall_tpr, 4), "fpr": round(recall_fpr, 4),
                          "matched_mean": round(float(matched_recall.mean()), 4),
                          "mismatched_mean": round(float(mismatched_recall.mean()), 4)},
        "embedding_similarity": {"auc": round(auc(matched_sim, mismatched_sim), 4), "j": round(sim_j, 4),
                                 "tpr": round(sim_tpr, 4), "fpr": round(sim_fpr, 4),
                                 "matched_mean": round(float(matched_sim.mean()), 4),
                                 "mismatched_mean": round(float(mismatched_sim.mean()), 4)},
        "content_rule_both": {"matched_pass": round(both_matched, 4), "mismatched_pass": round(both_mismatched, 4)},
        "references_under_the_graders": {
            "no_wrong_identifier": round(fmean(not wrong_identifiers(s, g) for s, g in
                                               zip(summaries, genes, strict=True)), 4),
            **{field: round(fmean(getattr(c, field) for c in structure), 4) for field in
               ("one_paragraph", "academic_register", "pathway_information", "no_degenerate_repetition",
                "length_within_bounds")},
        },
    }


def main() -> None:
    from kg.graph import open_graph

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    result = calibrate(open_graph(), args.genes, args.seed)
    tmp = CALIBRATION_FILE.with_name(".calibration.json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n")
    tmp.replace(CALIBRATION_FILE)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
