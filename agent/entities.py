"""Entity linking: the genes, identifiers, biosamples, assays, targets, GO terms and diseases a question
names, each tied to a graph record."""

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, Field

from kg.identifiers import ENSEMBL_GENE, UNIPROT_ACCESSION
from tools.omics_query import CYTOBAND, GO_ID, OmicsTerms, extract_terms


class LinkedGene(BaseModel):
    mention: str
    symbol: str
    gene_id: str
    hgnc_id: str | None = None
    reason: str = Field(description="how the mention matched: official, previous, alias, identifier, ...")
    ambiguous: bool = False
    alternatives: list[str] = Field([], description="other genes sharing the best match when ambiguous")


class LinkedEntities(BaseModel):
    genes: list[LinkedGene] = []
    unresolved: list[str] = Field([], description="gene-like mentions that name no gene in the graph")
    omics: OmicsTerms = OmicsTerms()
    go_terms: list[tuple[str, str]] = Field([], description="(GO id, name) named in the question")
    disease: str | None = Field(None, description="disease phrase, when the question asks about one")
    aspect: Literal["BP", "MF", "CC"] | None = None
    identifier_kind: Literal["hgnc", "entrez", "ensembl", "uniprot", "omim"] | None = Field(
        None, description="which identifier the question asks for")

    @property
    def gene(self) -> LinkedGene | None:
        return self.genes[0] if self.genes else None


# English words that are also gene aliases in HGNC or NCBI (IS, CAN, SET, MAP, WAS, ...); never genes here.
_STOPWORD_TEXT = """
a about after all also am an and any are as at be been being both but by can could did do does during
each find for from gene genes get give had has have how i if in into is it its list many may me might
more most my name names no not of on one or other our out over same should show so some such tell than
that the their them then there these they this those through to under up use was we were what when where
which while who whom why will with would you your official symbol symbols convert located locate lie
lies chromosome protein coding related associated linked disease diseases term terms enriched enrichment
function functions role describe explain predicted regulatory tracks track summary summarize human
identifier identifiers id ids number count ensembl entrez uniprot omim hgnc ncbi ontology process
component molecular biological cellular pathway pathways cell cells type types marker image structure
known alias aliases previous full
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
NOT_GENE_TOKENS = {"DNA", "RNA", "MRNA", "GO", "ID", "IDS", "TF", "TFS", "CHIP", "CHIP-SEQ", "DNASE", "DNASE-SEQ",
                   "ATAC", "ATAC-SEQ", "CAGE", "RNA-SEQ", "HGNC", "OMIM", "MIM", "NCBI", "ENCODE", "GRCH38", "HG19",
                   "HG38", "TRUE", "NA", "FALSE", "BP", "MF", "CC", "UTR", "SNP"}

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.@/]*[A-Za-z0-9]|[A-Za-z0-9]")
_LABELLED_IDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:Entrez|NCBI)(?:\s+Gene)?\s*(?:ID|id|identifier)?\s*[:#]?\s*(\d{1,9})\b", re.IGNORECASE),
     "by_entrez"),
    (re.compile(r"\bGene\s*ID\s*[:#]?\s*(\d{1,9})\b", re.IGNORECASE), "by_entrez"),
    (re.compile(r"\b(?:OMIM|MIM)\s*(?:ID|id|number)?\s*[:#*]?\s*(\d{6})\b", re.IGNORECASE), "by_omim"),
]
_IDENTIFIER = re.compile(  # HGNC, Ensembl and UniProt ids; a whole token, so 'B3GAT1-DT' is not UniProt 'B3GAT1'
    rf"(?<![\w-])(?:HGNC:\d+|{ENSEMBL_GENE}(?:\.\d+)?|{UNIPROT_ACCESSION})(?![\w-])")
_ASPECTS = [("BP", r"biological process"), ("MF", r"molecular function"), ("CC", r"cellular component|location in the cell")]
_ID_KINDS = [("ensembl", r"ensembl"), ("entrez", r"entrez|ncbi gene"), ("hgnc", r"hgnc"),
             ("uniprot", r"uniprot"), ("omim", r"\bomim\b|\bmim\b")]
_DISEASE_PATTERNS = [
    re.compile(r"\bgenes?\b.*?\b(?:associated|related|linked|implicated|involved|connected)\s+(?:with|to|in)\s+(.+)",
               re.IGNORECASE),
    re.compile(r"\bgenes?\s+(?:for|of|causing|behind|underlying|that cause)\s+(.+)", re.IGNORECASE),
    re.compile(r"\bwhat\s+causes\s+(.+)", re.IGNORECASE),
]


@lru_cache(maxsize=4)
def _go_names(graph) -> dict[str, str]:
    """Lower-cased GO term name -> GO id."""
    return {name.lower(): go_id for go_id, name in graph.go_term_names().items()}


def _looks_like_gene(token: str, at_sentence_start: bool) -> bool:
    if token.upper() in NOT_GENE_TOKENS or token.lower() in STOPWORDS and not any(c.isdigit() for c in token):
        return False
    if any(c.isdigit() for c in token):
        return any(c.isalpha() for c in token)
    uppers = sum(c.isupper() for c in token)
    if uppers >= 2:
        return True
    # mixed case like 'Xist' names a gene unless it is just a capitalised first word
    return uppers == 1 and token[0].isupper() and not at_sentence_start and len(token) > 2


def _link(graph, mention: str) -> LinkedGene | None:
    resolution = graph.resolve(mention)
    best = resolution.best
    if best is None:
        return None
    alternatives = [c.symbol for c in resolution.top[1:]] if resolution.ambiguous else []
    return LinkedGene(mention=mention, symbol=best.symbol, gene_id=best.gene_id, hgnc_id=best.hgnc_id,
                      reason=best.reason, ambiguous=resolution.ambiguous, alternatives=alternatives)


def link_genes(question: str, graph, omics: OmicsTerms | None = None) -> tuple[list[LinkedGene], list[str]]:
    """Genes named in the question, in order of mention, and gene-like mentions that resolve to nothing."""
    linked: list[LinkedGene] = []
    unresolved: list[str] = []
    taken: list[tuple[int, int]] = []

    def add(gene: LinkedGene | None, span: tuple[int, int], mention: str) -> None:
        taken.append(span)
        if gene is None:
            unresolved.append(mention)
        elif all(g.gene_id != gene.gene_id for g in linked):
            linked.append(gene)

    for pattern, lookup in _LABELLED_IDS:
        for m in pattern.finditer(question):
            gene = getattr(graph, lookup)(m.group(1))
            found = None if gene is None else LinkedGene(mention=m.group(1), symbol=gene.symbol,
                                                         gene_id=gene.gene_id, hgnc_id=gene.hgnc_id,
                                                         reason="identifier")
            add(found, m.span(), m.group(1))
    for m in _IDENTIFIER.finditer(question):
        if not any(s <= m.start() < e for s, e in taken):
            add(_link(graph, m.group(0)), m.span(), m.group(0))
    skip = {v.lower() for v in (omics.biosample, omics.cytoband) if v} if omics else set()
    target_is_mark = bool(omics and omics.target and re.match(r"^H[1-4]|^H2A|^H2B", omics.target))
    for m in _TOKEN.finditer(question):
        token = m.group(0).rstrip(".")
        if any(s <= m.start() < e for s, e in taken) or token.lower() in skip:
            continue
        if target_is_mark and token.lower() == omics.target.lower():
            continue
        if CYTOBAND.fullmatch(token) or re.fullmatch(r"chr\w{1,2}", token, re.IGNORECASE) or GO_ID.match(token):
            continue
        start_of_sentence = m.start() == 0 or bool(re.search(r"[.?!:]\s*$", question[:m.start()]))
        if not _looks_like_gene(token, start_of_sentence):
            continue
        add(_link(graph, token), m.span(), token)
    if not linked:  # a question typed in lower case ('which chromosome is xist on'): official symbols only
        for m in _TOKEN.finditer(question):
            token = m.group(0).rstrip(".")
            if token.islower() and len(token) >= 3 and token not in STOPWORDS and token.upper() not in NOT_GENE_TOKENS:
                gene = _link(graph, token)
                if gene is not None and gene.reason == "official":
                    linked.append(gene)
                    unresolved = [u for u in unresolved if u.lower() != token]
    order = {g.mention: question.find(g.mention) for g in linked}
    return sorted(linked, key=lambda g: order[g.mention]), unresolved


def link_go_terms(question: str, graph) -> list[tuple[str, str]]:
    names = graph.go_term_names()
    found = [(go_id, names.get(go_id, go_id)) for go_id in GO_ID.findall(question)]
    words = re.findall(r"[\w\-,']+", question.lower())
    by_name = _go_names(graph)
    for size in range(min(12, len(words)), 1, -1):
        for i in range(len(words) - size + 1):
            gram = " ".join(words[i:i + size]).strip(",")
            if gram in by_name and all(by_name[gram] != f for f, _ in found):
                found.append((by_name[gram], names[by_name[gram]]))
    return found


def disease_phrase(question: str) -> str | None:
    for pattern in _DISEASE_PATTERNS:
        m = pattern.search(question)
        if m:
            phrase = re.sub(r"^(?:the|a|an)\s+", "", m.group(1).strip(" ?.!"), flags=re.IGNORECASE)
            phrase = re.sub(r"\s+(?:in|according to)\s+(?:clinvar|hpo|the graph).*$", "", phrase, flags=re.IGNORECASE)
            return phrase or None
    return None


def link_entities(question: str, graph) -> LinkedEntities:
    omics = extract_terms(question, graph)
    genes, unresolved = link_genes(question, graph, omics)
    lowered = question.lower()
    aspect = next((a for a, pattern in _ASPECTS if re.search(pattern, lowered)), None)
    kind = next((k for k, pattern in _ID_KINDS if re.search(pattern, lowered)), None)
    return LinkedEntities(genes=genes, unresolved=unresolved, omics=omics,
                          go_terms=link_go_terms(question, graph) if re.search(r"\bGO\b|annotat|term", question)
                          else [], disease=disease_phrase(question), aspect=aspect, identifier_kind=kind)
