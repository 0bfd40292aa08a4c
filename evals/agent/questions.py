"""Generate a question set from the graph: for each fact type, graph records phrased several ways, each with
its gold answer read from the graph (not from the agent's tools).

    python -m evals.agent.questions [--per-type 20] [--seed 13] [--out evals/agent/questions.jsonl]

Each JSON line: {"id", "fact", "question", "gold", "scoring"} where scoring is "exact" (short answer equals
gold, case-insensitive), "set" (comma-separated answer equals the gold set) or "top5" (gold GO id among
the five records the answer cites)."""

import argparse
import json
import random
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

TEMPLATES: dict[str, list[str]] = {
    "alias_symbol": ["What is the official gene symbol of {x}?", "{x} is an alias of which gene? Give the official symbol.",
                     "Convert {x} to its official gene symbol."],
    "previous_symbol": ["What is the current official symbol of {x}?", ("{x} is a previous symbol; what is the gene's "
                        "official symbol now?"), "Which official gene symbol replaced {x}?"],
    "ensembl_symbol": ["Convert {x} to official gene symbol.", ("What is the official symbol of the gene with Ensembl "
                       "id {x}?"), "Which gene is {x}?"],
    "entrez_symbol": ["What is the official gene symbol of NCBI Gene ID {x}?", ("Convert Entrez gene {x} to a gene "
                      "symbol."), "Which gene has Entrez ID {x}?"],
    "hgnc_symbol": ["Which gene is {x}? Give the official symbol.", "Convert {x} to official gene symbol."],
    "uniprot_symbol": ["Which gene encodes UniProt {x}? Give the official symbol.",
                       "What is the official gene symbol for the UniProt accession {x}?"],
    "chromosome": ["Which chromosome is {x} located on?", "On which chromosome does the {x} gene lie?",
                   "what chromosome is {lower} on"],
    "cytoband": ["What is the cytoband of {x}?", "In which cytogenetic band is {x} located?",
                 "Give the cytoband location of {x}."],
    "protein_coding": ["Is {x} a protein-coding gene?", "is {lower} protein coding", ("Does {x} encode a protein? "
                       "Is it a protein-coding gene?")],
    "diseases_of_gene": ["Which diseases are associated with {x}?", "What conditions are linked to mutations in {x}?"],
    "genes_of_disease": ["Which genes are associated with {x}?", "What genes are linked to {x}?"],
    "go_enrichment": ["The enriched GO term for {x} is", "Which GO biological process is enriched in {x}?"],
    "tracks_count": ["How many Enformer tracks measure {x}?", "How many Enformer output tracks are there for {x}?"],
    "chip_biosamples": ["Which biosamples have {x} ChIP-seq?", "In which biosamples was {x} profiled by ChIP-seq?"],
    "cytoband_genes": ["Which genes lie in {x}?", "List the genes located in cytoband {x}."],
}


def _rows(graph, cypher: str) -> list[dict[str, Any]]:
    return graph.query(cypher)


def _unique_names(graph, kind: str) -> list[tuple[str, str]]:
    """(name, official symbol) for names of `kind` that point to exactly one gene under any kind."""
    rows = _rows(graph, "MATCH (n:Name)-[r:NAMES]->(g:Gene) RETURN n.name AS name, n.key AS key, r.kind AS kind, "
                        "g.symbol AS symbol, g.gene_id AS gene_id")
    genes_of: dict[str, set[str]] = {}
    for r in rows:
        genes_of.setdefault(r["key"], set()).add(r["gene_id"])
    return sorted({(r["name"], r["symbol"]) for r in rows if r["kind"] == kind and len(genes_of[r["key"]]) == 1
                   and r["name"].upper() != r["symbol"].upper()})


def _genes(graph) -> list[dict[str, Any]]:
    return _rows(graph, "MATCH (g:Gene) WHERE g.hgnc_id IS NOT NULL RETURN g.symbol AS symbol, g.hgnc_id AS hgnc_id, "
                        "g.entrez_id AS entrez_id, g.ensembl_id AS ensembl_id, g.uniprot_ids AS uniprot_ids, "
                        "g.chromosome AS chromosome, g.cytoband AS cytoband, g.locus_group AS locus_group")


def _items(graph, rng: random.Random, n: int) -> Iterator[tuple[str, str, Any, str]]:
    """(fact, subject, gold, scoring) samples of every fact type."""
    genes = _genes(graph)
    id_owners: dict[tuple[str, str], int] = {}
    for g in genes:
        for field in ("entrez_id", "ensembl_id"):
            if g[field]:
                id_owners[(field, g[field])] = id_owners.get((field, g[field]), 0) + 1
        for accession in g["uniprot_ids"] or []:
            id_owners[("uniprot", accession)] = id_owners.get(("uniprot", accession), 0) + 1

    def sample(population: list, k: int = n) -> list:
        return rng.sample(population, min(k, len(population)))

    for kind, fact in (("alias", "alias_symbol"), ("previous", "previous_symbol")):
        for name, symbol in sample(_unique_names(graph, kind)):
            yield fact, name, symbol, "exact"
    for field, fact in (("ensembl_id", "ensembl_symbol"), ("entrez_id", "entrez_symbol")):
        for g in sample([g for g in genes if g[field] and id_owners[(field, g[field])] == 1]):
            yield fact, g[field], g["symbol"], "exact"
    for g in sample(genes):
        yield "hgnc_symbol", g["hgnc_id"], g["symbol"], "exact"
    for g in sample([g for g in genes if g["uniprot_ids"] and len(g["uniprot_ids"]) == 1
                     and id_owners[("uniprot", g["uniprot_ids"][0])] == 1]):
        yield "uniprot_symbol", g["uniprot_ids"][0], g["symbol"], "exact"
    located = [g for g in genes if g["chromosome"] and g["cytoband"]]
    for g in sample(located):
        yield "chromosome", g["symbol"], f"chr{g['chromosome']}", "exact"
    for g in sample(located):
        yield "cytoband", g["symbol"], g["cytoband"], "exact"
    coding = [g for g in genes if g["locus_group"] == "protein-coding gene"]
    other = [g for g in genes if g["locus_group"] and g["locus_group"] != "protein-coding gene"]
    for g in sample(coding, n // 2) + sample(other, n - n // 2):
        yield "protein_coding", g["symbol"], "TRUE" if g["locus_group"] == "protein-coding gene" else "NA", "exact"
    yield from _disease_items(graph, sample)
    yield from _enrichment_items(graph, rng, n)
    yield from _omics_items(graph, sample)


def _disease_items(graph, sample: Callable) -> Iterator[tuple[str, str, Any, str]]:
    rows = _rows(graph, "MATCH (g:Gene)-[:ASSOCIATED_WITH]->(d:Disease) "
                        "RETURN g.symbol AS symbol, d.name AS disease, d.disease_id AS disease_id")
    by_gene: dict[str, set[str]] = {}
    by_disease: dict[str, set[str]] = {}
    ids_of_name: dict[str, set[str]] = {}
    for r in rows:
        by_gene.setdefault(r["symbol"], set()).add(r["disease"] or r["disease_id"])
        if r["disease"]:
            by_disease.setdefault(r["disease"], set()).add(r["symbol"])
            ids_of_name.setdefault(r["disease"].lower(), set()).add(r["disease_id"])
    for symbol in sample(sorted(s for s, d in by_gene.items() if 1 <= len(d) <= 5)):
        yield "diseases_of_gene", symbol, sorted(by_gene[symbol]), "set"
    # a long name that belongs to one condition, so the best match by name is that condition
    names = sorted(d for d, genes in by_disease.items() if 1 <= len(genes) <= 20 and len(ids_of_name[d.lower()]) == 1
                   and len(d) > 12)
    for disease in sample(names):
        yield "genes_of_disease", disease, sorted(by_disease[disease]), "set"


def _enrichment_items(graph, rng: random.Random, n: int) -> Iterator[tuple[str, str, Any, str]]:
    """A planted signal: five genes drawn from one specific BP term; the term must come back in the top five."""
    annotations = graph.go_annotations("BP", direct_only=True)
    terms = sorted(t for t, genes in annotations.items() if 8 <= len(genes) <= 30)
    for term in rng.sample(terms, min(n, len(terms))):
        genes = rng.sample(sorted(annotations[term]), 5)
        yield "go_enrichment", ", ".join(genes), term, "top5"


def _omics_items(graph, sample: Callable) -> Iterator[tuple[str, str, Any, str]]:
    targets = sorted({t.target for t in graph.tracks(assay="CHIP") if t.target})
    for target in sample(targets):
        yield "tracks_count", target, str(len(graph.tracks(target=target))), "exact"
    chip_targets = sorted({e.target for e in graph.experiments(assay="ChIP-seq") if e.target})
    for target in sample(chip_targets):
        biosamples = sorted({e.biosample for e in graph.experiments(assay="ChIP-seq", target=target)})
        if len(biosamples) <= 40:
            yield "chip_biosamples", target, biosamples, "set"
    bands = sorted({g["cytoband"] for g in _genes(graph)
                    if g["cytoband"] and re.fullmatch(r"(?:\d{1,2}|X|Y)[pq]\d{1,2}\.\d{1,3}", g["cytoband"])})
    for band in sample(bands):
        symbols = sorted({g.symbol for g in graph.genes_in_cytoband(band) if g.hgnc_id})  # lists hold HGNC genes
        if 1 <= len(symbols) <= 40:
            yield "cytoband_genes", band, symbols, "set"


def generate(graph, per_type: int = 20, seed: int = 13) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    questions = []
    for fact, subject, gold, scoring in _items(graph, rng, per_type):
        for number, template in enumerate(TEMPLATES[fact]):
            questions.append({"id": f"{fact}-{len(questions)}", "fact": fact, "phrasing": number,
                              "question": template.format(x=subject, lower=subject.lower()), "gold": gold, "scoring": scoring})
    return questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-type", type=int, default=20)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, default=Path("evals/agent/questions.jsonl"))
    args = parser.parse_args()
    from kg.graph import open_graph

    questions = generate(open_graph(), args.per_type, args.seed)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    tmp.replace(args.out)
    counts: dict[str, int] = {}
    for q in questions:
        counts[q["fact"]] = counts.get(q["fact"], 0) + 1
    print(f"{len(questions)} questions -> {args.out}")
    for fact, count in counts.items():
        print(f"  {fact:18s} {count}")


if __name__ == "__main__":
    main()
