"""Graders for gene function descriptions: the paper's Table 1 scores, automated.

Factual score (1 or 0): the answer names the gene by its official symbol and its full official
name, states no identifier of the gene that contradicts the graph (HGNC, Ensembl, Entrez, OMIM,
UniProt, chromosome and cytoband) and no protein product of a non-coding gene or pseudogene, and its
function content matches the reference: ROUGE-1 recall and embedding cosine similarity, both computed
with the gene's names masked out, at or above thresholds calibrated on real data
(`evals/calibration.json`, made by `python -m evals.calibrate`).

Structural score (1 or 0): one paragraph, academic register, pathway information, no degenerate
repetition, length within bounds.

Each sub-check is kept, so a reader sees why an answer scored 0. BLEU (sacrebleu, sentence level,
0-100) and ROUGE-1 F1 (rouge-score, stemmed, 0-1) against the reference are reported beside.

Curated-concept recall: the share of the gene's GO terms stated by its RefSeq summary (`curated_concepts`)
that the answer states too, by the same word test; it reads the gene's whole annotation, not what a
system chose to say.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kg.errors import GeneverseError
from kg.models import Gene
from kg.sources.refseq_summary import clean_summary

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
# HGNC locus groups whose genes have no protein product (readthrough genes in "other" often do).
NON_PROTEIN_GROUPS = {"non-coding RNA", "pseudogene"}
MIN_WORDS, MAX_WORDS = 40, 300

PATHWAY_WORDS = re.compile(
    r"\b(pathways?|signal(?:l)?ing|cascades?|metabolism|metabolic|biosynthe\w*|catabol\w*|glycoly\w*|"
    r"apoptosis|apoptotic|cell cycle|Wnt|Hedgehog|Notch|MAPK|ERK|PI3K|AKT|mTOR|NF-?(?:kappa|κ)B|JAK|STAT|"
    r"TGF|BMP|insulin|ubiquitin|proteasom\w*|autophagy|DNA repair|transcriptional regulation|"
    r"immune response|inflammatory response|oxidative phosphorylation|citric acid cycle)\b",
    re.IGNORECASE,
)
# First and second person, chat phrases, exclamations, markdown: not the register of a paper.
INFORMAL = re.compile(
    r"(\b(I am|I'm|I've|I will|I can|I think|I hope|[Mm]e|[Mm]y|[Yy]ou|[Yy]our|[Yy]ou're)\b|"
    r"(?i:\b(sure|certainly|of course|hope this helps|let me|feel free|great question)\b)|"
    r"!|\*\*|^#|:\)|[\U0001F300-\U0001FAFF])",
    re.MULTILINE,
)
LIST_LINE = re.compile(r"^\s*([-*•]|\d+[.)])\s+", re.MULTILINE)
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-']*")


class FactualChecks(BaseModel):
    symbol_right: bool
    full_name_right: bool
    no_wrong_identifier: bool
    content_matches: bool
    rouge1_recall: float
    embedding_similarity: float
    wrong_identifiers: list[str] = []


class StructuralChecks(BaseModel):
    one_paragraph: bool
    academic_register: bool
    pathway_information: bool
    no_degenerate_repetition: bool
    length_within_bounds: bool
    words: int
    repeated_4gram_fraction: float


class Grade(BaseModel):
    factual: int
    structural: int
    average: float
    bleu: float
    rouge1: float
    factual_checks: FactualChecks
    structural_checks: StructuralChecks

    def flat(self) -> dict[str, Any]:
        """One CSV row: scores, then every sub-check."""
        row: dict[str, Any] = {k: getattr(self, k) for k in ("factual", "structural", "average", "bleu", "rouge1")}
        row.update({f"f_{k}": v for k, v in self.factual_checks.model_dump().items()})
        row["f_wrong_identifiers"] = ";".join(self.factual_checks.wrong_identifiers)
        row.update({f"s_{k}": v for k, v in self.structural_checks.model_dump().items()})
        return row


class Thresholds(BaseModel):
    rouge1_recall: float
    embedding_similarity: float
    note: str = ""


def load_thresholds(path: Path = CALIBRATION_FILE) -> Thresholds:
    if not path.is_file():
        raise GeneverseError(f"No grader calibration at {path}. Make it: python -m evals.calibrate")
    return Thresholds(**json.loads(path.read_text())["thresholds"])


def normalise(text: str) -> str:
    """Lowercase, punctuation to spaces, single spaces: for name matching."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def words(text: str) -> list[str]:
    return WORD.findall(text)


# ---------------------------------------------------------------- reference

def reference_text(gene: Gene, go_terms: dict[str, list[str]]) -> tuple[str, str]:
    """The text an answer is compared with, and where it came from.

    The RefSeq summary when the gene has one; otherwise a description assembled from the graph
    (official name, locus type, place, direct GO terms), since many genes (pseudogenes, most
    immunoglobulin segments) have no RefSeq summary.
    """
    if clean_summary(gene.summary):
        return clean_summary(gene.summary), "RefSeq summary"
    parts = [f"{gene.symbol} ({gene.name or gene.symbol}) is a {gene.locus_type or 'gene'}"
             + (f" located on chromosome {gene.chromosome}" if gene.chromosome else "")
             + (f" at {gene.cytoband}" if gene.cytoband else "") + "."]
    for aspect, verb in (("BP", "It is involved in"), ("MF", "It enables"), ("CC", "It is located in")):
        if go_terms.get(aspect):
            parts.append(f"{verb} " + ", ".join(sorted(go_terms[aspect])[:10]) + ".")
    return " ".join(parts), "graph: name, locus type, GO terms"


def function_text(text: str, gene: Gene) -> str:
    """The text with the gene's names taken out: the content check compares what is said about the gene's
    function, not whether both texts repeat its symbol (identity is checked on its own)."""
    names = [n for n in [gene.name, gene.symbol, *gene.aliases, *gene.previous_symbols] if n and len(n) > 1]
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


# ---------------------------------------------------------------- identifiers

_ID_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("hgnc_id", re.compile(r"\bHGNC:\s?(\d+)\b")),
    ("ensembl_id", re.compile(r"\b(ENSG\d{11})\b")),
    ("entrez_id", re.compile(r"\b(?:Entrez|NCBI)?\s*Gene\s*ID[:\s]*(\d+)\b", re.IGNORECASE)),
    ("omim_id", re.compile(r"\b(?:OMIM|MIM)[:#\s]*(\d{6})\b")),
    ("uniprot", re.compile(r"\bUniProt(?:KB)?[^.;]{0,20}?\b([OPQ]\d[A-Z0-9]{3}\d|[A-NR-Z]\d(?:[A-Z][A-Z0-9]{2}\d){1,2})\b")),
    ("chromosome", re.compile(r"\b(?:located|mapped|maps|found|lies|resides|situated|positioned)\s+(?:\w+\s+){0,3}?"
                              r"(?:on|to)\s+(?:the\s+)?(?:human\s+)?chromosome\s+(\d{1,2}|X|Y)\b",
                              re.IGNORECASE)),
    # a protein product claimed of the gene: wrong for a non-coding RNA gene or a pseudogene
    ("protein_product", re.compile(
        r"\b(?:(?:this gene|it)\s+encodes\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(?:protein|enzyme|receptor|polypeptide)|"
        r"(?:protein|polypeptide)\s+encoded\s+by\s+this\s+gene|the\s+encoded\s+protein)\b()", re.IGNORECASE)),
    ("cytoband", re.compile(r"\b(?:at|on|to|in|band|chromosome|region|locus)\s+"
                            r"((?:[1-9]|1\d|2[0-2]|X|Y)[pq]\d{1,2}(?:\.\d{1,2})?)\b", re.IGNORECASE)),
]


# Words that move a statement off the subject gene: "a pseudogene of this gene is on chromosome X".
_OTHER_SUBJECT = re.compile(r"\b(pseudogenes?|paralogs?|paralogues?|homologs?|homologues?|cluster|family|members?|"
                            r"forms?|related|similar|other|isoforms? encoded|see)\b", re.IGNORECASE)
_SYMBOL_LIKE = re.compile(r"\b[A-Z][A-Z0-9]*[A-Z][A-Z0-9-]*\b")
_NOT_SYMBOLS = {"HGNC", "MIM", "OMIM", "ID", "DNA", "RNA", "mRNA", "NCBI", "UNIPROT", "UNIPROTKB", "GENE", "ENSG"}


def _about_subject(text: str, start: int, gene: Gene) -> bool:
    """Whether an identifier at `start` is stated of the subject gene: no other gene symbol and no
    "pseudogene / paralog / family / see ..." wording between the sentence start and the identifier."""
    full_stop, newline = text.rfind(". ", 0, start), text.rfind("\n", 0, start)
    sentence_start = max(full_stop + 2 if full_stop >= 0 else 0, newline + 1)
    before = text[sentence_start:start]
    if _OTHER_SUBJECT.search(before):
        return False
    others = {t for t in _SYMBOL_LIKE.findall(before) if t.upper() not in _NOT_SYMBOLS and t != gene.symbol
              and not t.startswith(("ENSG", "HGNC"))}
    return not others


def wrong_identifiers(text: str, gene: Gene) -> list[str]:
    """Identifiers stated of `gene` in `text` that contradict the graph's record of it (identifiers the
    text attributes to other genes, "a pseudogene on chromosome 7", are not the subject's), and a protein
    product claimed of a non-coding RNA gene or a pseudogene ("This gene encodes a protein ..." of a
    microRNA). RefSeq summaries of such genes make that claim in 5 of 2,217 cases."""
    wrong = []
    for kind, pattern in _ID_PATTERNS:
        for match in pattern.finditer(text):
            value = match.group(1)
            if not _about_subject(text, match.start(), gene):
                continue
            if kind == "hgnc_id" and gene.hgnc_id and f"HGNC:{value}" != gene.hgnc_id:
                wrong.append(f"HGNC:{value}")
            elif kind == "ensembl_id" and gene.ensembl_id and value != gene.ensembl_id:
                wrong.append(value)
            elif kind == "entrez_id" and gene.entrez_id and value != gene.entrez_id:
                wrong.append(f"Gene ID {value}")
            elif kind == "omim_id" and gene.omim_id and value != gene.omim_id:
                wrong.append(f"MIM {value}")
            elif kind == "uniprot" and gene.uniprot_ids and value not in gene.uniprot_ids:
                wrong.append(f"UniProt {value}")
            elif kind == "chromosome" and gene.chromosome and value.upper() != gene.chromosome.upper():
                wrong.append(f"chromosome {value}")
            elif kind == "protein_product" and gene.locus_group in NON_PROTEIN_GROUPS:
                wrong.append(f"protein product ({gene.locus_group})")
            elif kind == "cytoband" and gene.cytoband and not _same_band(value, gene.cytoband):
                wrong.append(f"band {value}")
    return wrong


def _same_band(stated: str, truth: str) -> bool:
    """'17q21' agrees with '17q21.31' (coarser or finer statement of the same place)."""
    stated, truth = stated.lower(), truth.lower().split("-")[0]
    return truth.startswith(stated) or stated.startswith(truth)


# ---------------------------------------------------------------- scores

@lru_cache(maxsize=1)
def _rouge() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)


def rouge1(candidate: str, reference: str) -> tuple[float, float]:
    """(recall, F1) of unigrams, stemmed."""
    score = _rouge().score(reference, candidate)["rouge1"]
    return score.recall, score.fmeasure


def bleu(candidate: str, reference: str) -> float:
    import sacrebleu

    return sacrebleu.sentence_bleu(candidate, [reference]).score


def repeated_4gram_fraction(tokens: list[str]) -> float:
    grams = [tuple(tokens[i : i + 4]) for i in range(len(tokens) - 3)]
    if not grams:
        return 0.0
    counts = Counter(grams)
    return sum(c - 1 for c in counts.values()) / len(grams)


def structural_checks(text: str) -> StructuralChecks:
    stripped = text.strip()
    tokens = [w.lower() for w in words(stripped)]
    blocks = [b for b in stripped.split("\n") if b.strip()]
    repetition = repeated_4gram_fraction(tokens)
    return StructuralChecks(
        one_paragraph=len(blocks) == 1 and not LIST_LINE.search(stripped),
        academic_register=not INFORMAL.search(stripped),
        pathway_information=bool(PATHWAY_WORDS.search(stripped)),
        no_degenerate_repetition=repetition <= 0.15,
        length_within_bounds=MIN_WORDS <= len(tokens) <= MAX_WORDS,
        words=len(tokens),
        repeated_4gram_fraction=round(repetition, 4),
    )


def factual_checks(text: str, gene: Gene, reference: str, similarity: float,
                   thresholds: Thresholds) -> FactualChecks:
    recall, _ = rouge1(function_text(text, gene), function_text(reference, gene))
    wrong = wrong_identifiers(text, gene)
    name = normalise(gene.name or "")
    return FactualChecks(
        symbol_right=bool(re.search(rf"(?<![A-Za-z0-9-]){re.escape(gene.symbol)}(?![A-Za-z0-9-])", text)),
        full_name_right=bool(name) and name in normalise(text),
        no_wrong_identifier=not wrong,
        content_matches=recall >= thresholds.rouge1_recall and similarity >= thresholds.embedding_similarity,
        rouge1_recall=round(recall, 4),
        embedding_similarity=round(similarity, 4),
        wrong_identifiers=wrong,
    )


def grade(text: str, gene: Gene, reference: str, similarity: float, thresholds: Thresholds) -> Grade:
    """Grade one answer. `similarity` is the embedding cosine of the answer's and the reference's
    `function_text` (batched by the caller)."""
    fact = factual_checks(text, gene, reference, similarity, thresholds)
    struct = structural_checks(text)
    factual = int(fact.symbol_right and fact.full_name_right and fact.no_wrong_identifier and fact.content_matches)
    structural = int(struct.one_paragraph and struct.academic_register and struct.pathway_information
                     and struct.no_degenerate_repetition and struct.length_within_bounds)
    _, f1 = rouge1(text, reference)
    return Grade(factual=factual, structural=structural, average=(factual + structural) / 2,
                 bleu=round(bleu(text, reference), 3), rouge1=round(f1, 4),
                 factual_checks=fact, structural_checks=struct)


def pearson(xs: list[float], ys: list[float]) -> tuple[float | None, float | None]:
    """Pearson r and p-value; None when either side is constant or too short."""
    from scipy.stats import pearsonr

    if len(xs) < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None, None
    result = pearsonr(xs, ys)
    return float(result.statistic), float(result.pvalue)


# ---------------------------------------------------------------- curated-concept recall

# GO's connective and qualifier words: "positive regulation of X" and "X" name one concept, which a summary
# states as "regulates X" as often as "X".
CONCEPT_FILLER = frozenset("""a an and by for from in into of on or the to via with involved process activity
positive negative regulation cellular""".split())  # noqa: SIM905


@lru_cache(maxsize=1)
def _porter() -> Any:
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


def concept_stems(text: str) -> frozenset[str]:
    """The Porter stems of a text's words, GO's connective and qualifier words left out."""
    stem = _porter().stem
    return frozenset(stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in CONCEPT_FILLER)


# The roots of the three aspects name no concept ("biological_process" would count wherever "biological" is said).
GO_ROOTS = frozenset({"biological_process", "molecular_function", "cellular_component"})
# A term of four or more content words may miss a quarter of them (summaries paraphrase long GO names).
CONCEPT_SHARE = 0.75


def _states(stems: frozenset[str], said: frozenset[str]) -> bool:
    return len(stems & said) >= CONCEPT_SHARE * len(stems)


def curated_concepts(summary: str | None, go_term_names: list[str]) -> list[str]:
    """The gene's GO terms that its RefSeq summary states: at least three quarters of the content-word stems
    of the term's name occur in the summary (anywhere, in any order). `go_term_names` is the gene's whole
    annotation, direct terms and the ancestors they imply, so that a summary's "cell cycle" counts for a
    gene annotated to a kind of it. Terms with the same stems ("positive regulation of apoptotic process",
    "apoptotic process") are one concept."""
    said = concept_stems(clean_summary(summary) or "")
    concepts: dict[frozenset[str], str] = {}
    for name in sorted(set(go_term_names) - GO_ROOTS):
        stems = concept_stems(name)
        if stems and _states(stems, said):
            concepts.setdefault(stems, name)
    return list(concepts.values())


def concept_recall(text: str, concepts: list[str]) -> float | None:
    """The share of curated concepts a description states, by the same word test; None without concepts."""
    if not concepts:
        return None
    said = concept_stems(text)
    return sum(_states(concept_stems(c), said) for c in concepts) / len(concepts)


# ---------------------------------------------------------------- clustering (optional, as in the paper)

def go_slim_bp_terms(obo: Path) -> dict[str, str]:
    """GO id -> name of the biological-process terms of a GO slim (OBO format)."""
    terms, current = {}, {}
    for line in obo.read_text(encoding="utf-8").splitlines() + ["[Term]"]:
        if line.startswith("[Term]"):
            if current.get("namespace") == "biological_process" and "id" in current:
                terms[current["id"]] = current.get("name", current["id"])
            current = {}
        elif ": " in line and line.split(": ", 1)[0] in ("id", "name", "namespace"):
            key, value = line.split(": ", 1)
            current.setdefault(key, value)
    return terms


def go_slim_labels(graph: Any, genes: list[str], obo: Path) -> dict[str, str]:
    """Each gene's most specific GO-slim biological process (the slim term with the fewest genes among
    those the gene is annotated with, directly or through is_a); genes without one are left out."""
    slim = go_slim_bp_terms(obo)
    annotations = graph.go_annotations(aspect="BP", direct_only=False)
    members = {go_id: annotations.get(go_id, set()) for go_id in slim}
    labels = {}
    for symbol in genes:
        mine = [go_id for go_id, symbols in members.items() if symbol in symbols]
        if mine:
            labels[symbol] = slim[min(mine, key=lambda go_id: (len(members[go_id]), go_id))]
    return labels


def clustering_nmi(vectors: Any, labels: list[str], seed: int = 0, shuffles: int = 20) -> tuple[float, float]:
    """NMI between k-means clusters of description embeddings (k = number of labels) and GO-slim labels,
    and its chance level: the mean NMI of the same clusters against `shuffles` permutations of the labels
    (k-means with many clusters on few points scores well above 0 for any embedding)."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    k = len(set(labels))
    clusters = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)
    rng = np.random.default_rng(seed)
    chance = [normalized_mutual_info_score(rng.permutation(labels), clusters) for _ in range(shuffles)]
    return float(normalized_mutual_info_score(labels, clusters)), float(np.mean(chance)) if chance else 0.0
