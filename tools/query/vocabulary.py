"""The omics vocabulary of a question, linked to values the graph holds: assays, targets (with 'both',
'but not', 'or'), biosamples, chromosomes, cytobands, regions, locus types, GO terms. A named assay or
target the data lacks is reported in `missing`, never silently dropped."""

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process

from kg.disease_names import FILLER, words_with_spans

_ASSAYS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bTF\s+ChIP(?:-?seq)?\b", re.IGNORECASE), "TF ChIP-seq"),
    (re.compile(r"\bChIP(?:[- ]?seq)?\b", re.IGNORECASE), "ChIP-seq"),
    (re.compile(r"\bDNase(?:[- ]?seq|\s*I)?\b|\bDHS\b|\bchromatin accessibility\b", re.IGNORECASE), "DNase-seq"),
    (re.compile(r"\bATAC(?:[- ]?seq)?\b", re.IGNORECASE), "ATAC-seq"),
    (re.compile(r"\bCAGE\b", re.IGNORECASE), "CAGE"),
    (re.compile(r"\bRNA[- ]?seq\b", re.IGNORECASE), "RNA-seq"),
]
# Assays people ask for that neither the ENCODE experiments nor the Enformer tracks hold ('Hi-C' and 'Micro-C'
# whole words: not 'HIC1', 'Microcephaly').
_ABSENT_ASSAYS = re.compile(
    r"\b(?:Hi-?C\b|Micro-?C\b|CUT&(?:RUN|Tag)|CUT\s*and\s*(?:RUN|Tag)|ChIA-?PET|WGBS|RRBS|bisulfite|MNase-?seq|"
    r"FAIRE(?:-?seq)?|STARR-?seq|eCLIP|CLIP-?seq|Repli-?seq|PRO-?seq|GRO-?seq|single[- ]cell|scRNA-?seq|"
    r"scATAC(?:-?seq)?|methylation array|proteomics|mass spec\w*)", re.IGNORECASE)
TRACK_ASSAY = {"ChIP-seq": "CHIP", "TF ChIP-seq": "CHIP", "DNase-seq": "DNASE", "ATAC-seq": "ATAC", "CAGE": "CAGE"}
CYTOBAND = re.compile(r"(?<![\w.:])(\d{1,2}|X|Y)([pq]\d{1,2}(?:\.\d{1,3})?)(?!\w|\.\d)")
REGION = re.compile(r"\bchr(\w{1,2})\s*:\s*([\d,]+)\s*[-–]\s*([\d,]+)", re.IGNORECASE)
GO_ID = re.compile(r"\bGO:\d{7}\b")
_CHROMOSOME = re.compile(r"\bchromosomes?\s+(\d{1,2}|X|Y|MT?)\b|\bchr(\d{1,2}|X|Y|MT?)\b(?!\s*:)", re.IGNORECASE)
_HISTONE_MARK = re.compile(r"\bH[1-4](?:A|B)?(?:\.\w+)?K\d+(?:ac|me[1-3]?|ub\d?|cr)\b", re.IGNORECASE)
_BIOSAMPLE_BASE_END = re.compile(
    r"\s+(?:male|female|originated|genetically|treated|stably|transfected|and|nuclear|cytosolic|embryo|child|"
    r"adult|newborn)\b|\s*[(,;]")
# Generic words after a biosample ('liver tissue', 'HepG2 cells'): the data's names rarely carry them.
_GENERIC_SAMPLE_WORDS = {"tissue", "tissues", "cell", "cells", "line", "lines", "sample", "samples", "cell-line"}
# Locus types as people say them -> (property, stored value).
LOCUS_TYPES: list[tuple[re.Pattern[str], tuple[str, str]]] = [
    (re.compile(r"(?<!protein-)(?<!protein )\bnon-?coding(?: RNA)?s?\b|\bncRNAs?\b", re.IGNORECASE),
     ("locus_group", "non-coding RNA")),
    (re.compile(r"\bprotein[- ]?coding\b|\bcoding genes?\b|\b(?:encod\w*|cod(?:e|es|ing|in)\b(?:\s+for)?|gives?\s+rise\s+to|"
                r"makes?|produces?|translated\s+into)\s+(?:a\s+|an?y\s+|for\s+a\s+)?(?:protein|polypeptide)s?\b",
                re.IGNORECASE), ("locus_group", "protein-coding gene")),
    (re.compile(r"\bmicro-?RNAs?\b|\bmiRNAs?\b|\bmirs?\b", re.IGNORECASE), ("locus_type", "RNA, micro")),
    (re.compile(r"\blong non-?coding(?: RNAs?)?\b|\blncRNAs?\b|\blincRNAs?\b", re.IGNORECASE),
     ("locus_type", "RNA, long non-coding")),
    (re.compile(r"\btRNAs?\b|\btransfer RNAs?\b", re.IGNORECASE), ("locus_type", "RNA, transfer")),
    (re.compile(r"\bsnoRNAs?\b|\bsmall nucleolar RNAs?\b", re.IGNORECASE), ("locus_type", "RNA, small nucleolar")),
    (re.compile(r"\bsnRNAs?\b|\bsmall nuclear RNAs?\b", re.IGNORECASE), ("locus_type", "RNA, small nuclear")),
    (re.compile(r"\brRNAs?\b|\bribosomal RNAs?\b", re.IGNORECASE), ("locus_type", "RNA, ribosomal")),
    (re.compile(r"\bpseudo-?genes?\b", re.IGNORECASE), ("locus_group", "pseudogene")),
]


class OmicsTerms(BaseModel):
    """The omics vocabulary a question names, linked to values present in the graph."""

    assay: str | None = Field(None, description="'TF ChIP-seq', 'ChIP-seq', 'DNase-seq', 'ATAC-seq', 'CAGE', 'RNA-seq'")
    target: str | None = Field(None, description="first experiment target as stored, e.g. 'POLR2A', 'H3K27ac'")
    targets: list[str] = Field([], description="every target named, in order")
    target_op: Literal["and", "or", "not"] | None = Field(
        None, description="how several targets combine: 'both X and Y', 'X or Y', 'X but not Y'")
    biosample: str | None = Field(None, description="lower-cased biosample name or its base, e.g. 'hepg2', 'liver'")
    cytoband: str | None = None
    region: tuple[str, int, int] | None = Field(None, description="chromosome without 'chr', start, end")
    chromosome: str | None = Field(None, description="chromosome without 'chr', e.g. '17', 'X'")
    locus: tuple[str, str] | None = Field(None, description="(property, value), e.g. ('locus_type', 'RNA, micro')")
    go_id: str | None = None
    tracks: bool = Field(False, description="the question is about Enformer output tracks")
    transcription_factors: bool = False
    missing: list[str] = Field([], description="assays or targets the question names that the data lacks")

    @property
    def any(self) -> bool:
        return bool(self.assay or self.target or self.biosample or self.cytoband or self.region or self.chromosome
                    or self.locus or self.go_id or self.tracks or self.missing)


def normalise(text: str) -> str:
    """Case, spaces and punctuation dropped: 'HepG-2' and 'hepg2', 'K 562' and 'K562' meet."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


class Vocabulary(BaseModel):
    biosamples: dict[str, str] = Field(description="normalised name or base -> lower-cased value to match by")
    targets: dict[str, str] = Field(description="lower-case target -> stored form")


@lru_cache(maxsize=4)
def vocabulary(graph) -> Vocabulary:
    """Biosample names and bases and experiment / track targets, read once per graph."""
    biosamples: dict[str, str] = {}
    for name in graph.biosamples():
        lowered = name.lower()
        base = _BIOSAMPLE_BASE_END.split(lowered, maxsplit=1)[0].strip()
        for value in (lowered, base):
            words = value.split()
            while words and words[-1] in _GENERIC_SAMPLE_WORDS:  # 'liver tissue' is matched as 'liver'
                words.pop()
            core = " ".join(words)
            if len(normalise(core)) >= 2:
                biosamples.setdefault(normalise(core), core)
    targets: dict[str, str] = {}
    for label in ("Experiment", "Track"):
        for row in graph.query(f"MATCH (x:{label}) WHERE x.target IS NOT NULL RETURN DISTINCT x.target AS target"):
            if row["target"]:
                targets.setdefault(row["target"].lower(), row["target"])
    return Vocabulary(biosamples=biosamples, targets=targets)


MAX_WORDS = 300  # a question is shorter; past this, runs of words are not looked up, so time stays linear


def _ngrams(words: list[str], longest: int = 8):
    words = words[:MAX_WORDS]
    for size in range(min(longest, len(words)), 0, -1):
        for i in range(len(words) - size + 1):
            yield i, size, words[i:i + size]


def link_biosample(words: list[str], vocab: Vocabulary, exclude: set[str]) -> str | None:
    """The longest word run naming a biosample, exactly after normalising, else within a typo or two."""
    keys = list(vocab.biosamples)
    fuzzy: tuple[float, str] | None = None
    for _, size, gram in _ngrams([w for w in words if w.lower() not in _GENERIC_SAMPLE_WORDS]):
        key = normalise(" ".join(gram))
        if not key or key in exclude:
            continue
        if key in vocab.biosamples:
            return vocab.biosamples[key]
        if len(key) >= 6 and fuzzy is None:
            hit = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=90)
            if hit:
                fuzzy = (hit[1], hit[0])
    return vocab.biosamples[fuzzy[1]] if fuzzy else None


def _target_op(text: str, targets: list[str]) -> Literal["and", "or", "not"] | None:
    if len(targets) < 2:
        return None
    lowered = text.lower()
    first, second = lowered.find(targets[0].lower()), lowered.find(targets[1].lower())
    between = lowered[first:second] if 0 <= first < second else ""
    if re.search(r"\bbut not\b|\bnot\b|\bwithout\b|\bexcept\b|\bexcluding\b|\blacking\b", between):
        return "not"
    if re.search(r"\bor\b|\beither\b", between) or re.search(r"\beither\b", lowered):
        return "or"
    return "and"


def extract_terms(question: str, graph) -> OmicsTerms:
    """Link the assay, targets, biosample, chromosome, cytoband, region, locus type and GO id a question names."""
    vocab = vocabulary(graph)
    terms = OmicsTerms()
    remaining = question
    for absent in _ABSENT_ASSAYS.finditer(question):
        terms.missing.append(absent.group(0))
        remaining = remaining.replace(absent.group(0), " ")
    for pattern, assay in _ASSAYS:
        if m := pattern.search(remaining):
            terms.assay = assay
            remaining = remaining[:m.start()] + " " + remaining[m.end():]
            break
    if region := REGION.search(remaining):
        terms.region = (region.group(1).upper().removeprefix("CHR"), int(region.group(2).replace(",", "")),
                        int(region.group(3).replace(",", "")))
        remaining = remaining.replace(region.group(0), " ")
    if band := CYTOBAND.search(remaining):
        terms.cytoband = band.group(0)
    elif chromosome := _CHROMOSOME.search(remaining):
        terms.chromosome = (chromosome.group(1) or chromosome.group(2)).upper()
    if go := GO_ID.search(remaining):
        terms.go_id = go.group(0)
    else:
        terms.go_id = link_go_name(remaining, graph)
    for pattern, locus in LOCUS_TYPES:
        if pattern.search(remaining):
            terms.locus = locus
            break
    cleaned = [w.strip(".,?!()'\"") for w in re.findall(r"[\w\-+.()/']+", remaining)]
    for token in cleaned:
        stored = vocab.targets.get(token.lower())
        # lower-case words ('max', 'rest') are English, not targets, unless they carry a digit (h3k27ac)
        if stored and (token != token.lower() or any(c.isdigit() for c in token)) and stored not in terms.targets:
            terms.targets.append(stored)
        elif _HISTONE_MARK.fullmatch(token) and not stored:
            terms.missing.append(token)
    terms.target = terms.targets[0] if terms.targets else None
    terms.target_op = _target_op(question, terms.targets)
    exclude = {normalise(t) for t in terms.targets}
    if terms.cytoband:
        exclude.add(normalise(terms.cytoband))
    terms.biosample = link_biosample([w for w in cleaned if w], vocab, exclude)
    terms.tracks = bool(re.search(r"\btracks?\b|\benformer\b|\bbasenji\b", question, re.IGNORECASE))
    terms.transcription_factors = bool(re.search(r"transcription factors?|\bTFs?\b", question, re.IGNORECASE))
    return terms


# --- diseases ----------------------------------------------------------------------------------------------

# Single words and phrases that name conditions in ClinVar / HPO but are ordinary words in a question.
_NOT_DISEASES = {"gene", "genes", "protein", "cancer genes", "tumor", "death", "pain", "fever", "growth", "anemia genes"}


class LinkedDisease(BaseModel):
    name: str = Field(description="the stored lower-case name of the condition")
    span: tuple[int, int] = Field(description="where the question names it")


def _words(text: str) -> list[tuple[str, int, int]]:
    return [t for t in words_with_spans(text) if t[0] not in FILLER]


def disease_key(text: str) -> str:
    """A condition name as words in order, normalised the way the graph's name index reads them."""
    return " ".join(word for word, _, _ in _words(text))


@lru_cache(maxsize=4)
def disease_vocabulary(graph) -> dict[str, str]:
    """Normalised name or synonym of every condition -> the condition's stored lower-case name."""
    index = graph.disease_names
    ordinary = {disease_key(text) for text in _NOT_DISEASES}
    names: dict[str, str] = {}
    for disease_id, name, _ in index.names:
        key = disease_key(name)
        if key and key not in ordinary:
            names.setdefault(key, index.primary[disease_id].lower())
    return names


# words a family's name may add around a condition's name ('Hypertrophic' + 'cardiomyopathy')
FAMILY_WIDENING = 3


def _family_around(text: str, tokens: list[tuple[str, int, int]], i: int, size: int, graph) -> tuple[int, int] | None:
    """The span of the longest run of words around tokens i..i+size that names a family of conditions."""
    for grow in range(FAMILY_WIDENING, 0, -1):
        for left in range(grow, -1, -1):
            first, last = i - left, i + size - 1 + grow - left
            if first >= 0 and last < len(tokens) and graph.disease_names.family(text[tokens[first][1]:tokens[last][2]]):
                return tokens[first][1], tokens[last][2]
    return None


def link_disease(text: str, graph, phrase: str | None = None) -> LinkedDisease | None:
    """The condition a question names: `phrase` (the words a question puts after 'associated with' ...) when
    it names a family of conditions, else its longest run of words that is a condition's name or synonym (with
    the words around it that make a family's name), else the condition whose names best match `phrase`."""
    if phrase and phrase in text and graph.disease_names.family(phrase):  # a family's name, whole
        start = text.index(phrase)
        return LinkedDisease(name=phrase.lower(), span=(start, start + len(phrase)))
    names = disease_vocabulary(graph)
    tokens = _words(text)
    words = [w for w, _, _ in tokens]
    for i, size, gram in _ngrams(words, longest=12):
        if size == 1 and len(gram[0]) < 5:
            continue
        key = " ".join(gram)
        if key in names:
            if family := _family_around(text, tokens, i, size, graph):
                return LinkedDisease(name=text[slice(*family)].lower(), span=family)
            start = tokens[i][1]
            if kind := re.search(r"\btype\s+$", text[:start], re.IGNORECASE):  # 'Type 2 diabetes mellitus'
                start = kind.start()
            end = tokens[i + size - 1][2]
            # 'type A', 'group A', 'protein S': a letter the name's words leave out as filler still names a member
            if letter := re.match(r",?\s+(?:type\s+)?[AS]\b(?!['’])", text[end:], re.IGNORECASE):
                end += letter.end()
            return LinkedDisease(name=names[key], span=(start, end))
    if phrase and len(phrase) >= 5 and phrase in text:
        found = graph.disease_names.search(phrase, limit=1)
        if found:
            start = text.index(phrase)
            return LinkedDisease(name=found[0].primary_name.lower(), span=(start, start + len(phrase)))
    return None


# --- GO terms by name ------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def go_vocabulary(graph) -> dict[str, str]:
    """Lower-cased GO term name -> GO id."""
    return {name.lower(): go_id for go_id, name in graph.go_term_names().items()}


def link_go_name(text: str, graph) -> str | None:
    """The GO id of the longest run of two or more words that is a GO term's name ('hemoglobin complex')."""
    names = go_vocabulary(graph)
    words = re.findall(r"[\w\-,']+", text.lower())
    for _, size, gram in _ngrams(words, longest=12):
        if size < 2:
            break
        key = " ".join(gram).strip(",")
        # 'hemoglobin complexes', 'mitochondrial ribosomes': GO names are singular
        for form in (key, key[:-2] if key.endswith("xes") else key.removesuffix("s")):
            if form in names:
                return names[form]
    return None
