"""A held-out paraphrase set: each fact type asked eight or more ways (questions, imperatives, completion
prompts, extra words, lower case, typos) about records sampled from the graph, with the gold answer and the
route that should answer it. The wording here is written apart from the intent exemplars
(`agent/intent_exemplars.tsv`) and is never used to tune them.

    python -m evals.agent.paraphrases [--per-type 4] [--seed 29] [--family a] [--out evals/agent/paraphrases.jsonl]
    python -m evals.agent.paraphrases --family b --seed 41 --out evals/agent/paraphrases_b.jsonl

Family b was written after family a had been measured and was never used for tuning.
"""

import argparse
import json
import random
from pathlib import Path
from typing import Any

from evals.agent.questions import _items

ROUTES = {
    "alias_symbol": "official_symbol", "previous_symbol": "official_symbol", "ensembl_symbol": "official_symbol",
    "entrez_symbol": "official_symbol", "hgnc_symbol": "official_symbol", "uniprot_symbol": "official_symbol",
    "chromosome": "chromosome", "cytoband": "cytoband", "protein_coding": "protein_coding",
    "diseases_of_gene": "diseases_of_gene", "genes_of_disease": "genes_of_disease", "go_enrichment": "go_enrichment",
    "tracks_count": "query_plan", "chip_biosamples": "query_plan", "cytoband_genes": "query_plan",
}

_NAME_TO_SYMBOL = [
    "I keep seeing {x} in papers. What's its approved HGNC symbol?",
    "Please give the official symbol for {x}.",
    "The official gene symbol of gene {x} is",
    "{x} -> official symbol?",
    "what is teh official symbol for {x}",
    "Could you tell me which gene symbol {x} corresponds to today?",
    "Return the HGNC-approved symbol that {x} refers to.",
    "Official symbol of {x}, please:",
    "In current nomenclature, {x} is called what?",
]
_ID_TO_SYMBOL = [
    "Which gene does {x} identify?",
    "Please give the official symbol for {x}.",
    "The gene symbol for the identifier {x} is",
    "{x} -> gene symbol?",
    "what gene is {x}",
    "Could you map {x} to its HGNC symbol?",
    "Return the approved symbol of the gene with id {x}.",
    "Tell me which gene has the identifier {x}.",
]
TEMPLATES: dict[str, list[str]] = {
    "alias_symbol": _NAME_TO_SYMBOL, "previous_symbol": _NAME_TO_SYMBOL,
    "ensembl_symbol": _ID_TO_SYMBOL, "entrez_symbol": [t.replace("{x}", "Entrez gene {x}") for t in _ID_TO_SYMBOL],
    "hgnc_symbol": _ID_TO_SYMBOL, "uniprot_symbol": [t.replace("{x}", "UniProt {x}") for t in _ID_TO_SYMBOL],
    "chromosome": [
        "On what chromosome would I find {x}?",
        "Tell me the chromosome of {x}.",
        "The chromosome that {x} is on is",
        "{x} chromosome?",
        "which chromosme carries {lower}",
        "I'm curious: {x} lives on which chromosome?",
        "Name the chromosome where the {x} gene is found.",
        "chromosome number for {lower}",
    ],
    "cytoband": [
        "What cytogenetic band holds {x}?",
        "Give me the band location of {x}.",
        "The cytogenetic band of {x} is",
        "{x} cytoband?",
        "whats the cytoband for {lower}",
        "Where exactly on the chromosome is {x} mapped (band)?",
        "Report the cytogenetic position of {x}.",
        "cytogenetic location of {x}",
    ],
    "protein_coding": [
        "Does {x} code for a protein?",
        "Tell me whether {x} is a protein coding gene.",
        "Regarding if the gene codes a protein, {x} is",
        "{x}: protein-coding or not?",
        "is {lower} a protien coding gene",
        "Would {x} be translated into a protein product?",
        "Check if {x} encodes a protein.",
        "protein coding status of {x}",
    ],
    "diseases_of_gene": [
        "What conditions has {x} been associated with?",
        "List the diseases linked to {x}.",
        "The diseases associated with {x} are",
        "{x} disease associations?",
        "which diseses are conected to {lower}",
        "Are there any disorders tied to variants of {x}?",
        "Name every condition reported for {x} in ClinVar or HPO.",
        "diseases for the gene {x}",
    ],
    "genes_of_disease": [
        "Which genes have been associated with {x}?",
        "List the genes linked to {x}.",
        "The name of the gene related to {x} is",
        "{x}: which genes?",
        "what genes are asociated with {x}",
        "Tell me the genes implicated in {x}, please.",
        "Which gene has been tied to {x}?",
        "genes involved in {x}",
    ],
    "go_enrichment": [
        "Which GO process is over-represented in {x}?",
        "Run GO enrichment for {x}.",
        "The most enriched biological process among {x} is",
        "{x}: enriched GO terms?",
        "what go terms are enriched in {x}",
        "Tell me what biological process the genes {x} share.",
        "Find the GO biological process enriched among these genes: {x}.",
        "GO enrichment of {x}",
    ],
    "tracks_count": [
        "How many Enformer tracks are there for {x}?",
        "Count the Enformer output tracks that measure {x}.",
        "The number of Enformer tracks for {x} is",
        "{x}: how many tracks?",
        "how many enformer trakcs profile {x}",
        "Tell me how many of Enformer's tracks are {x} tracks.",
        "Number of predicted tracks with target {x}",
        "How many Enformer tracks measure the target {x}?",
    ],
    "chip_biosamples": [
        "In which biosamples was {x} ChIP-seq done?",
        "List the biosamples with ChIP-seq of {x}.",
        "The biosamples with {x} ChIP-seq are",
        "{x} ChIP-seq: which samples?",
        "which biosamples have chip-seq for {x}",
        "Tell me every cell line or tissue where {x} was profiled by ChIP-seq.",
        "Which samples were assayed by ChIP-seq for {x}?",
        "biosamples of {x} ChIP-seq experiments",
    ],
    "cytoband_genes": [
        "What genes are located in band {x}?",
        "List every gene in {x}.",
        "The genes found in cytoband {x} are",
        "{x}: which genes?",
        "which genes ar in {x}",
        "Tell me the genes that map to {x}.",
        "Which genes sit in cytogenetic band {x}?",
        "genes of cytoband {x}",
    ],
}

# A second family, written after the first was measured and never looked at while tuning: the final figures.
_NAME_TO_SYMBOL_B = [
    "What symbol does HGNC use today for {x}?",
    "Find the approved gene symbol behind the name {x}.",
    "Approved symbol for {x}:",
    "{x} official name abbreviation",
    "wat is the offical symbol of {x}",
    "Somebody wrote {x} in an old paper; which gene symbol should I search for now?",
    "Resolve {x} to the official HGNC gene symbol.",
    "Gene {x} is officially called",
]
_ID_TO_SYMBOL_B = [
    "What symbol does HGNC use for the gene {x}?",
    "Find the approved gene symbol for {x}.",
    "Approved symbol for {x}:",
    "{x} gene symbol",
    "wat gene symbol goes with {x}",
    "I have {x} from a table; which gene is that?",
    "Resolve {x} to an official gene symbol.",
    "The gene identified by {x} is",
]
TEMPLATES_B: dict[str, list[str]] = {
    "alias_symbol": _NAME_TO_SYMBOL_B, "previous_symbol": _NAME_TO_SYMBOL_B,
    "ensembl_symbol": _ID_TO_SYMBOL_B, "entrez_symbol": [t.replace("{x}", "NCBI gene id {x}") for t in _ID_TO_SYMBOL_B],
    "hgnc_symbol": _ID_TO_SYMBOL_B, "uniprot_symbol": [t.replace("{x}", "the UniProt entry {x}") for t in _ID_TO_SYMBOL_B],
    "chromosome": [
        "Which chromosome contains the gene {x}?",
        "Find out what chromosome {x} belongs to.",
        "Chromosome of {x}:",
        "{x} is located on chromosome",
        "wich chromosome has {lower} on it",
        "For my primer design I need to know the chromosome {x} is on.",
        "State the chromosome harbouring {x}.",
        "{lower} chr?",
    ],
    "cytoband": [
        "Which cytoband is {x} in?",
        "Find the cytogenetic band of {x}.",
        "Cytoband of {x}:",
        "{x} lies in the cytogenetic band",
        "cytobnd of {lower}?",
        "For a karyotype figure I need the band where {x} is located.",
        "State the chromosomal band of {x}.",
        "band location {x}",
    ],
    "protein_coding": [
        "Is {x} a gene that encodes a protein?",
        "Find out whether {x} is protein-coding.",
        "Protein-coding, {x}:",
        "{x} encodes a protein: true or false?",
        "is {lower} codin for protein",
        "I wonder if {x} gives rise to a protein at all?",
        "State whether {x} is a protein-coding locus.",
        "{lower} protein coding?",
    ],
    "diseases_of_gene": [
        "Which conditions are linked with {x}?",
        "Find the diseases reported for {x}.",
        "Diseases of {x}:",
        "Variants in {x} are associated with",
        "what diseaes involve {lower}",
        "A patient has a {x} variant; which conditions has this gene been connected with?",
        "State the disorders associated with {x}.",
        "{x} phenotypes",
    ],
    "genes_of_disease": [
        "What genes are implicated in {x}?",
        "Find the genes associated with {x}.",
        "Genes for {x}:",
        "{x} is associated with the gene",
        "wich genes cause {x}",
        "A family has {x}; which genes have been linked to it?",
        "State the genes connected to {x}.",
        "{x} genes",
    ],
    "go_enrichment": [
        "What GO biological process do {x} have in common?",
        "Find the enriched GO terms for the gene set {x}.",
        "GO enrichment, genes {x}:",
        "The biological process shared by {x} is",
        "enrichd go process for {x}",
        "My screen returned {x}; which GO process stands out?",
        "State the most over-represented GO process among {x}.",
        "{x} enrichment",
    ],
    "tracks_count": [
        "How many Enformer outputs are {x} tracks?",
        "Find the number of Enformer tracks targeting {x}.",
        "Enformer tracks for {x}, count:",
        "The count of Enformer tracks for {x} is",
        "how many enformer tracks for {x}",
        "For a figure I need the number of Enformer tracks measuring {x}.",
        "State how many Enformer tracks have {x} as target.",
        "{x} Enformer track count",
    ],
    "chip_biosamples": [
        "What biosamples have ChIP-seq for {x}?",
        "Find the biosamples where {x} ChIP-seq was done.",
        "Biosamples, {x} ChIP-seq:",
        "{x} was profiled by ChIP-seq in the biosamples",
        "wich biosamples have {x} chip-seq",
        "I need every biosample with a {x} ChIP-seq experiment.",
        "State the biosamples that have {x} ChIP-seq.",
        "{x} ChIP-seq biosamples",
    ],
    "cytoband_genes": [
        "What genes are in cytoband {x}?",
        "Find all genes located in {x}.",
        "Genes in {x}:",
        "The genes of band {x} are",
        "wich genes lie in {x}",
        "For a deletion at {x} I need the list of genes there.",
        "State the genes in cytogenetic band {x}.",
        "{x} genes",
    ],
}
FAMILIES = {"a": TEMPLATES, "b": TEMPLATES_B}


def generate(graph, per_type: int = 4, seed: int = 29, family: str = "a") -> list[dict[str, Any]]:
    rng = random.Random(seed)
    questions = []
    for fact, subject, gold, scoring in _items(graph, rng, per_type):
        for number, template in enumerate(FAMILIES[family][fact]):
            questions.append({"id": f"{fact}-{len(questions)}", "fact": fact, "route": ROUTES[fact], "phrasing": number,
                              "question": template.format(x=subject, lower=subject.lower()), "gold": gold,
                              "scoring": scoring})
    return questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-type", type=int, default=4)
    parser.add_argument("--seed", type=int, default=29)
    parser.add_argument("--family", choices=sorted(FAMILIES), default="a")
    parser.add_argument("--out", type=Path, default=Path("evals/agent/paraphrases.jsonl"))
    args = parser.parse_args()
    from kg.graph import open_graph

    questions = generate(open_graph(), args.per_type, args.seed, args.family)
    args.out.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions), encoding="utf-8")
    print(f"{len(questions)} questions -> {args.out}")


if __name__ == "__main__":
    main()
