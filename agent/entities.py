"""Entity linking: the genes, identifiers, biosamples, assays, targets, GO terms, diseases, chromosomes,
cytobands and locus types a question names, each tied to a graph record, and the question with those
mentions masked for the intent model."""

import re
from typing import Literal

from pydantic import BaseModel, Field

from agent.mentions import Mentions, link_mentions, link_names, name_spans
from kg.identifiers import ENSEMBL_GENE, UNIPROT_ACCESSION
from tools.query.vocabulary import (
    CYTOBAND,
    GO_ID,
    LOCUS_TYPES,
    MAX_WORDS,
    REGION,
    LinkedDisease,
    OmicsTerms,
    disease_key,
    disease_vocabulary,
    extract_terms,
    go_vocabulary,
    link_disease,
)


class LinkedGene(BaseModel):
    mention: str
    symbol: str
    gene_id: str
    hgnc_id: str | None = None
    reason: str = Field(description="how the mention matched: official, previous, alias, identifier, ...")
    ambiguous: bool = False
    alternatives: list[str] = Field([], description="other genes the mention may stand for, likeliest first")
    span: tuple[int, int] | None = Field(None, description="where the question names the gene")


class LinkedEntities(BaseModel):
    genes: list[LinkedGene] = []
    unresolved: list[str] = Field([], description="gene-like mentions that name no gene in the graph")
    omics: OmicsTerms = OmicsTerms()
    go_terms: list[tuple[str, str]] = Field([], description="(GO id, name) named in the question")
    disease: str | None = Field(None, description="stored name of the disease the question names")
    disease_span: tuple[int, int] | None = None
    paths: list[str] = Field([], description="file paths named in the question (images, structures)")
    aspect: Literal["BP", "MF", "CC"] | None = None
    identifier_kind: Literal["hgnc", "entrez", "ensembl", "uniprot", "omim"] | None = Field(
        None, description="which identifier the question asks for")
    mentions: Mentions = Field(Mentions(), description="gene groups, cell types, fields, kinds, positions, "
                               "distances and counts the question names")

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
known alias aliases previous full enformer basenji biosample biosamples experiment experiments assay assays
encode profiled
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
NOT_GENE_TOKENS = {"DNA", "RNA", "MRNA", "GO", "ID", "IDS", "TF", "TFS", "CHIP", "CHIP-SEQ", "DNASE", "DNASE-SEQ",
                   "ATAC", "ATAC-SEQ", "CAGE", "RNA-SEQ", "HGNC", "OMIM", "MIM", "NCBI", "ENCODE", "GRCH38", "HG19",
                   "HG38", "TRUE", "NA", "FALSE", "BP", "MF", "CC", "UTR", "SNP", "HPO", "CLINVAR", "GTEX", "MEDGEN",
                   "ORPHANET", "UNIPROT", "ENSEMBL", "MONDO", "REFSEQ", "MANE", "GENCODE", "ENTREZ", "TSS", "MB",
                   "KB"}

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_.@/]*[A-Za-z0-9]|[A-Za-z0-9]")
_LABELLED_IDS: list[tuple[re.Pattern[str], str]] = [
    # each whitespace run has one way to match, so a long run costs linear time
    (re.compile(r"\b(?:Entrez|NCBI)(?:\s*Gene)?\s*(?:(?:ID|identifier)\s*)?(?:[:#]\s*)?(\d{1,9})\b", re.IGNORECASE),
     "by_entrez"),
    (re.compile(r"\bGene\s*ID\s*(?:[:#]\s*)?(\d{1,9})\b", re.IGNORECASE), "by_entrez"),
    (re.compile(r"\b(?:OMIM|MIM)\s*(?:(?:ID|number)\s*)?(?:[:#*]\s*)?(\d{6})\b", re.IGNORECASE), "by_omim"),
]
_IDENTIFIER = re.compile(  # HGNC, Ensembl and UniProt ids; a whole token, so 'B3GAT1-DT' is not UniProt 'B3GAT1'
    rf"(?<![\w-])(?:HGNC:\d+|{ENSEMBL_GENE}(?:\.\d+)?|{UNIPROT_ACCESSION})(?![\w-])")
_ASPECTS = [("BP", r"biological process"), ("MF", r"molecular function"), ("CC", r"cellular component|location in the cell")]
_ID_KINDS = [("ensembl", r"ensembl"), ("entrez", r"entrez|ncbi gene"), ("hgnc", r"hgnc"),
             ("uniprot", r"uniprot"), ("omim", r"\bomim\b|\bmim\b")]
_GENE_WORD = re.compile(r"\bgenes?\b", re.IGNORECASE)
_DISEASE_AFTER_GENE = re.compile(r"\b(?:associated|related|linked|implicated|involved|connected)\s+(?:with|to|in)\s+(.+)",
                                 re.IGNORECASE)
_DISEASE_PATTERNS = [
    re.compile(r"\bgenes?\s+(?:for|of|causing|cause|behind|underlying|that cause)\s+(.+)", re.IGNORECASE),
    re.compile(r"\bwhat\s+causes\s+(.+)", re.IGNORECASE),
]


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


def _sentence_start(text: str, at: int) -> bool:
    i = at - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return i < 0 or text[i] in ".?!:"


_CHUNK = re.compile(r"\S+")
_LISTED = re.compile(r"\s*(?:,|and|or|vs\.?|versus|&|/)\s*(?:and\s+)?", re.IGNORECASE)
_ROMAN = re.compile(r"X?(?:IX|IV|V?I{1,3}|V)[A-H]?")
_AFTER_KIND = re.compile(r"\b(?:type|class|group|grade|stage)\s+$", re.IGNORECASE)
_FILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".pdb", ".cif", ".mmcif", ".ent",
                  ".pdb.gz", ".cif.gz")


def is_path(chunk: str) -> bool:
    """An image or structure file named in a question: 'structure.png', 'data/alphafold/AF-Q9BVV7-F1-model_v1.pdb'."""
    return chunk.lower().rstrip(".").endswith(_FILE_SUFFIXES)


def _link(graph, mention: str) -> LinkedGene | None:
    resolution = graph.resolve(mention)
    best = resolution.best
    if best is None:
        return None
    return LinkedGene(mention=mention, symbol=best.symbol, gene_id=best.gene_id, hgnc_id=best.hgnc_id,
                      reason=best.reason, ambiguous=resolution.ambiguous,
                      alternatives=[c.symbol for c in resolution.others])


def link_genes(question: str, graph, omics: OmicsTerms | None = None,
               reserved: list[tuple[int, int]] = ()) -> tuple[list[LinkedGene], list[str]]:
    """Genes named in the question, in order of mention, and gene-like mentions that resolve to nothing;
    words inside the `reserved` spans (names of several words) are not read as genes."""
    linked: list[LinkedGene] = []
    unresolved: list[str] = []
    taken: list[tuple[int, int]] = list(reserved)
    looked_up: dict[str, LinkedGene | None] = {}

    def link(mention: str) -> LinkedGene | None:  # a name repeated in the question is looked up once
        if mention not in looked_up:
            looked_up[mention] = _link(graph, mention)
        return looked_up[mention]

    def add(gene: LinkedGene | None, span: tuple[int, int], mention: str) -> None:
        taken.append(span)
        if gene is None:
            unresolved.append(mention)
        elif all(g.gene_id != gene.gene_id for g in linked):
            linked.append(gene.model_copy(update={"span": span}))

    for m in _CHUNK.finditer(question):  # a file path names no gene; 'p185(erbB2)' is one alias as written
        chunk = m.group(0).strip("?,;:!'\"")
        if is_path(chunk):
            taken.append(m.span())
        elif "(" in chunk and chunk.endswith(")") and (gene := link(chunk)) is not None:
            add(gene, m.span(), chunk)
    for pattern, lookup in _LABELLED_IDS:
        for m in pattern.finditer(question):
            gene = getattr(graph, lookup)(m.group(1))
            found = None if gene is None else LinkedGene(mention=m.group(1), symbol=gene.symbol,
                                                         gene_id=gene.gene_id, hgnc_id=gene.hgnc_id,
                                                         reason="identifier")
            add(found, m.span(), m.group(1))
    for m in _IDENTIFIER.finditer(question):
        if not any(s <= m.start() < e for s, e in taken):
            add(link(m.group(0)), m.span(), m.group(0))
    skip = {v.lower() for v in (omics.biosample, omics.cytoband) if v} if omics else set()
    target_is_mark = bool(omics and omics.target and re.match(r"^H[1-4]|^H2A|^H2B", omics.target))
    reserved = list(taken)  # tokens never overlap one another: only the spans found above can cover one
    for m in _TOKEN.finditer(question):
        token = m.group(0).rstrip(".")
        if any(s <= m.start() < e for s, e in reserved) or token.lower() in skip:
            continue
        if target_is_mark and token.lower() == omics.target.lower():
            continue
        if CYTOBAND.fullmatch(token) or re.fullmatch(r"chr\w{1,2}", token, re.IGNORECASE) or GO_ID.match(token):
            continue
        if _ROMAN.fullmatch(token) and _AFTER_KIND.search(question[max(0, m.start() - 12):m.start()]):
            continue  # 'type IV', 'class II' are disease and protein kinds, not genes
        start_of_sentence = _sentence_start(question, m.start())
        if not _looks_like_gene(token, start_of_sentence):
            continue
        add(link(token), m.span(), token)
    # A question typed in lower case ('which chromosome is xist on'): official symbols only, when no gene was
    # found otherwise or the word is listed beside a gene that was ('prepl and supt7l').
    spans = [g.span for g in linked if g.span]
    for m in _TOKEN.finditer(question):
        token = m.group(0).rstrip(".")
        if not (token.islower() and len(token) >= 3 and token not in STOPWORDS
                and token.upper() not in NOT_GENE_TOKENS) or any(s <= m.start() < e for s, e in reserved):
            continue
        listed = any(_LISTED.fullmatch(question[m.end():s]) or _LISTED.fullmatch(question[e:m.start()])
                     for s, e in spans)
        if spans and not listed:
            continue
        gene = link(token)
        if gene is not None and gene.reason == "official" and all(g.gene_id != gene.gene_id for g in linked):
            linked.append(gene.model_copy(update={"span": m.span()}))
            unresolved = [u for u in unresolved if u.lower() != token]
    return sorted(linked, key=lambda g: g.span or (0, 0)), unresolved


def link_go_terms(question: str, graph) -> list[tuple[str, str]]:
    names = graph.go_term_names()
    found = [(go_id, names.get(go_id, go_id)) for go_id in GO_ID.findall(question)]
    words = re.findall(r"[\w\-,']+", question.lower())[:MAX_WORDS]
    by_name = go_vocabulary(graph)
    for size in range(min(12, len(words)), 1, -1):
        for i in range(len(words) - size + 1):
            gram = " ".join(words[i:i + size]).strip(",")
            if gram in by_name and all(by_name[gram] != f for f, _ in found):
                found.append((by_name[gram], names[by_name[gram]]))
    return found


def disease_phrase(question: str) -> str | None:
    """The words a question puts after 'genes associated with' ..., without a completion prompt's 'is'."""
    gene = _GENE_WORD.search(question)
    after = _DISEASE_AFTER_GENE.search(question, gene.end()) if gene else None
    for m in [after] + [pattern.search(question) for pattern in _DISEASE_PATTERNS]:
        if m:
            phrase = " ".join(m.group(1).split()).strip(" ?.!:")  # single spaces keep the patterns below linear
            phrase = re.sub(r"^(?:the|a|an) ", "", phrase, flags=re.IGNORECASE)
            phrase = re.sub(r" (?:in|according to) (?:clinvar|hpo|the graph).*$", "", phrase, flags=re.IGNORECASE)
            phrase = re.sub(r" (?:is|are|was|were)$", "", phrase, flags=re.IGNORECASE)
            return phrase or None
    return None


def masked(question: str, entities: LinkedEntities) -> str:
    """The question with what it names replaced by its kind: 'Where is HER2?' -> 'Where is GENE?'."""
    spans: list[tuple[int, int, str]] = [(*g.span, "ID" if g.reason == "identifier" else "GENE")
                                         for g in entities.genes if g.span]
    if entities.disease_span:
        spans.append((*entities.disease_span, "DISEASE"))
    if region := REGION.search(question):
        spans.append((*region.span(), "REGION"))
    elif entities.omics.cytoband and (band := CYTOBAND.search(question)):
        spans.append((*band.span(), "BAND"))
    spans += [(m.start(), m.end(), "FILE") for m in _CHUNK.finditer(question) if is_path(m.group(0).strip("?,;:!'\""))]
    out, at = [], 0
    for start, end, label in sorted(spans):
        if start >= at:
            out += [question[at:start], label]
            at = end
    return "".join(out) + question[at:]


def _within(span: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= span[0] and span[1] <= outer[1] and span != outer


def _outranks(question: str, span: tuple[int, int], others: list[tuple[int, int]], graph) -> bool:
    """Whether the condition named at `span` wins over the gene symbols and names that overlap it: each lies
    inside it, and its words are a condition's own name or synonym or a family's name, not a near match."""
    overlapping = [o for o in others if o[0] < span[1] and span[0] < o[1]]
    text = question[span[0]:span[1]]
    return bool(overlapping) and all(_within(o, span) for o in overlapping) and \
        (disease_key(text) in disease_vocabulary(graph) or bool(graph.disease_names.family(text)))


def link_entities(question: str, graph) -> LinkedEntities:
    names = link_names(question, graph)
    omics = extract_terms(question, graph)
    genes, unresolved = link_genes(question, graph, omics, reserved=name_spans(names))
    lowered = question.lower()
    aspect = next((a for a, pattern in _ASPECTS if re.search(pattern, lowered)), None)
    kind = next((k for k, pattern in _ID_KINDS if re.search(pattern, lowered)), None)
    disease: LinkedDisease | None = link_disease(question, graph, phrase=disease_phrase(question))
    gene_spans = [g.span for g in genes if g.span]
    if disease and _outranks(question, disease.span, gene_spans + name_spans(names), graph):
        # a condition's name outranks the symbols and terms inside it ('ICF syndrome', 'Lymphatic malformation')
        genes = [g for g in genes if not (g.span and _within(g.span, disease.span))]
        names = names.model_copy(update={field: [m for m in getattr(names, field) if not _within(m[-1], disease.span)]
                                         for field in ("gene_groups", "cell_types", "tissues", "go_terms")})
        gene_spans = [g.span for g in genes if g.span]
    elif disease and any(s < disease.span[1] and disease.span[0] < e for s, e in gene_spans + name_spans(names)):
        disease = None  # a gene symbol that is also a condition's name ('ALS2') is the gene
    if disease:  # capitalised words of a disease name are not unknown genes
        named = question[disease.span[0]:disease.span[1]]
        unresolved = [u for u in unresolved if u not in named]
    paths = [c for c in (m.group(0).strip("?,;:!'\"") for m in _CHUNK.finditer(question)) if is_path(c)]
    taken = gene_spans + ([disease.span] if disease else []) + [m.span() for m in REGION.finditer(question)] + \
        [m.span() for pattern, _ in LOCUS_TYPES for m in pattern.finditer(question)]
    mentions = link_mentions(question, graph, taken, names)
    unresolved = [u for u in unresolved if not any(question[s:e].find(u) >= 0 for _, (s, e) in
                                                   mentions.gene_groups + mentions.cell_types)]
    return LinkedEntities(genes=genes, unresolved=unresolved, omics=omics, mentions=mentions,
                          go_terms=link_go_terms(question, graph) if re.search(r"\bGO\b|annotat|term", question)
                          else [], disease=disease.name if disease else None,
                          disease_span=disease.span if disease else None, paths=paths, aspect=aspect,
                          identifier_kind=kind)
