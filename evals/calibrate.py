"""Calibrate the factual grader's content thresholds on real data; writes evals/calibration.json.

A description has the right function content when its ROUGE-1 recall against the reference and its
embedding cosine similarity with it are both high enough. "High enough" is set here, on genes that
no evaluation uses (the fine-tuning train split): each gene's function written independently of its
RefSeq summary, from its direct GO terms, is paired with its own summary (matched) and with the
summary of another random gene (mismatched). The two cuts maximise Youden's J of the joint rule
(pass rate of matched minus pass rate of mismatched pairs) among cut pairs that let at most 5% of
mismatched pairs pass. Gene names are masked out of both texts, as in grading. The same run checks that the graders do not fail
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

from evals.graders import CALIBRATION_FILE, function_text, rouge1, structural_checks, wrong_identifiers
from finetune.data import DataConfig, split_of
from kg.sources.refseq_summary import clean_summary
from retrieval.embedder import SentenceEmbedder

_VERBS = {"BP": "It is involved in", "MF": "It enables", "CC": "It is located in"}


def go_description(terms: dict[str, list[str]]) -> str:
    """A function description written from GO terms alone (no summary, no name, no symbol)."""
    return " ".join(f"{_VERBS[a]} " + ", ".join(sorted(terms[a])[:10]) + "." for a in ("BP", "MF", "CC")
                    if terms.get(a))


MAX_FALSE_POSITIVE_RATE = 0.05


def joint_cut(matched: tuple[np.ndarray, np.ndarray], mismatched: tuple[np.ndarray, np.ndarray],
              max_fpr: float = MAX_FALSE_POSITIVE_RATE) -> dict[str, float]:
    """Cuts (recall, similarity) for the rule "both at or above their cut": the best Youden J (pass rate
    of matched minus pass rate of mismatched pairs) among cut pairs that pass at most `max_fpr` of the
    mismatched pairs, so a description of some other gene's function rarely counts as right."""
    best = {"j": -1.0}
    grid = np.linspace(0, 1, 101)
    for r_cut in np.unique(np.quantile(matched[0], grid)):
        for s_cut in np.unique(np.quantile(matched[1], grid)):
            tpr = float(np.mean((matched[0] >= r_cut) & (matched[1] >= s_cut)))
            fpr = float(np.mean((mismatched[0] >= r_cut) & (mismatched[1] >= s_cut)))
            if fpr <= max_fpr and tpr - fpr > best["j"]:
                best = {"rouge1_recall": float(r_cut), "embedding_similarity": float(s_cut),
                        "j": tpr - fpr, "tpr": tpr, "fpr": fpr}
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
    rows = [{"gene_id": g.gene_id, "symbol": g.symbol} for g in graph.genes_with_summary()]
    pool = sorted((r["gene_id"], r["symbol"]) for r in rows
                  if split_of(r["gene_id"], config) == "train" and sum(map(len, terms[r["symbol"]].values())) >= 5)
    rng = random.Random(seed)
    chosen = rng.sample(pool, min(n_genes, len(pool)))
    genes = graph.genes([gene_id for gene_id, _ in chosen])
    summaries = [function_text(clean_summary(g.summary), g) for g in genes]
    candidates = [go_description(terms[g.symbol]) for g in genes]
    shift = [(i + rng.randrange(1, len(genes))) % len(genes) for i in range(len(genes))]

    embedder = SentenceEmbedder()
    cand_vecs, ref_vecs = embedder.encode(candidates), embedder.encode(summaries)
    matched_sim = np.sum(cand_vecs * ref_vecs, axis=1)
    mismatched_sim = np.sum(cand_vecs * ref_vecs[shift], axis=1)
    matched_recall = np.array([rouge1(c, r)[0] for c, r in zip(candidates, summaries, strict=True)])
    mismatched_recall = np.array([rouge1(c, summaries[j])[0] for c, j in zip(candidates, shift, strict=True)])

    cut = joint_cut((matched_recall, matched_sim), (mismatched_recall, mismatched_sim))

    originals = [clean_summary(g.summary) for g in genes]
    structure = [structural_checks(s) for s in originals]
    return {
        "thresholds": {
            "rouge1_recall": round(cut["rouge1_recall"], 4),
            "embedding_similarity": round(cut["embedding_similarity"], 4),
            "note": ("joint cuts with the best Youden J among those passing at most 5% of mismatched "
                     "(GO description, other gene's RefSeq summary) pairs"),
        },
        "made": time.strftime("%Y-%m-%d", time.gmtime()),
        "data": {"genes": len(genes), "seed": seed, "pool": "train split, RefSeq summary, >=5 direct GO terms",
                 "embedder": embedder.label, "names_masked": True},
        "content_rule": {"matched_pass": round(cut["tpr"], 4), "mismatched_pass": round(cut["fpr"], 4),
                         "j": round(cut["j"], 4)},
        "auc": {"rouge1_recall": round(auc(matched_recall, mismatched_recall), 4),
                "embedding_similarity": round(auc(matched_sim, mismatched_sim), 4)},
        "means": {"rouge1_recall": [round(float(matched_recall.mean()), 4), round(float(mismatched_recall.mean()), 4)],
                  "embedding_similarity": [round(float(matched_sim.mean()), 4),
                                           round(float(mismatched_sim.mean()), 4)],
                  "order": "matched, mismatched"},
        "references_under_the_graders": {
            "no_wrong_identifier": round(fmean(not wrong_identifiers(s, g) for s, g in
                                               zip(originals, genes, strict=True)), 4),
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
