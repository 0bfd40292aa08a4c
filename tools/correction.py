"""Post-correction of generated gene text against the graph (Geneverse paper, section 3.5).

Every identifier and fact the graph can check is checked: HGNC, Entrez, Ensembl, OMIM and UniProt ids,
official symbol, full name, chromosome, cytoband, locus type and alias lists. Wrong values are replaced by
the graph's, degenerate alias lists ("GLI-1; GLI-2; ... GLI-34") by the real aliases; a value that is
already right is never touched. Sentences that name another gene are left alone for location and locus
claims, and an id that belongs to a gene named in its own sentence is taken to be about that gene."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from kg.identifiers import ENSEMBL_GENE, UNIPROT_ACCESSION
from kg.models import Gene
from tools.gene_facts import gene_record_id, lookup


class Correction(BaseModel):
    """One fact in generated text replaced by the graph's value."""

    field: str = Field(description="what was checked: 'hgnc_id', 'chromosome', 'aliases', ...")
    before: str
    after: str
    source: str = Field(description="the graph record the value came from, e.g. 'HGNC:3430'; 'draft' for "
                                    "repetition removed from the text itself")


class CorrectionResult(BaseModel):
    gene: str = Field(description="official symbol of the gene the text is about")
    text: str
    corrections: list[Correction] = []
    checked: list[str] = Field([], description="fields the graph could check in this text")


@dataclass
class _Edit:
    start: int
    end: int
    after: str
    field: str


# Acronyms that look like gene symbols in prose but are not claims about genes.
_NOT_GENES = {"DNA", "RNA", "MRNA", "GO", "ID", "HGNC", "OMIM", "MIM", "NCBI", "UTR", "ATP", "GTP", "ADP", "NAD",
              "NADH", "NADPH", "II", "III", "IV", "UV", "PCR", "SNP", "HIV", "RNAI", "CDNA", "TF", "ENSEMBL"}
_GENE_TOKEN = re.compile(r"\b[A-Z][A-Z0-9]{1,9}(?:-[A-Z0-9]{1,4})?\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])|\n+")

_ID_PATTERNS: dict[str, re.Pattern[str]] = {
    "hgnc_id": re.compile(r"\bHGNC\s*(?:ID|id)?\s*[:#]?\s*(\d{1,6})\b"),
    "entrez_id": re.compile(
        r"\b(?:Entrez(?:\s+Gene)?|NCBI\s+Gene|Gene)\s*(?:ID|id|identifier)?\s*(?:is\s+|[:#]\s*|\s)(\d{1,9})\b"),
    "ensembl_id": re.compile(rf"\b({ENSEMBL_GENE})(?:\.\d+)?\b"),
    "omim_id": re.compile(r"\b(?:OMIM|MIM)\s*(?:ID|id|number|no\.?|entry)?\s*(?:is\s+)?[:#*]?\s*[#*]?(\d{6})\b"),
    "uniprot_id": re.compile(
        r"\bUniProt(?:KB)?(?:/Swiss-Prot)?\s*(?:ID|id|accession(?:\s+number)?)?\s*(?:is\s+|:\s*)?"
        rf"({UNIPROT_ACCESSION})\b"),
}
_SYMBOL_CLAIM = re.compile(
    r"\b(?:official|approved|HGNC)\s+(?:gene\s+)?symbol\s*(?:is|:|=)?\s*(?:of\s+\S+\s+is\s+)?[\"'“]?"
    r"([A-Za-z0-9][A-Za-z0-9\-.]*[A-Za-z0-9]|[A-Za-z0-9])")
_NAME_CLAIM = re.compile(
    r"\b(?:full|official|approved)\s+(?:gene\s+)?name\s*(?:is|:)\s*[\"'“]?([^\"”;\n]+?)[\"'”]?(?=[;\n]|\.(?:\s|$)|$)")
_GLOSS_ITEM = re.compile(r"([^;()\n]+)([;)])")
_NOT_A_NAME = re.compile(r"(?:also|a\.?k\.?a|formerly|previously|or|see|e\.g|i\.e|encoded|located|on)\b",
                         re.IGNORECASE)
_ID_LIKE = re.compile(r"\s*(?:HGNC:|Ensembl|ENSG\d|Entrez|NCBI|OMIM|MIM|UniProt)", re.IGNORECASE)
_CHROMOSOME_CLAIM = re.compile(r"\b(?:chromosome\s+|chr)(\d{1,2}|X|Y|MT|M)(?![\w:]|\.\d)")
_BAND = r"[pq]\d{1,2}(?:\.\d{1,3})?"
_CYTOBAND_CLAIM = re.compile(rf"(?<![\w.])((?:\d{{1,2}}|X|Y)){_BAND}(?:\s*[-–]\s*(?:\d{{1,2}}|X|Y)?{_BAND})?(?![\w])")
_LOCUS_CLAIM = re.compile(
    r"\b(?:is|as)\s+an?\s+((?:protein[- ]coding|non[- ]protein[- ]coding|(?:long\s+)?non[- ]coding|lncRNA|"
    r"microRNA|miRNA|pseudogene)(?:\s+RNA)?(?:\s+gene)?|gene\s+with\s+protein\s+product)\b", re.IGNORECASE)
_ALIAS_LABEL = re.compile(
    r"\b(?:also\s+(?:known|called|referred\s+to)\s+as|a\.k\.a\.?|(?:aliases|synonyms|other\s+names|alternative\s+"
    r"(?:names|symbols)|previous\s+symbols)(?:\s+(?:include|are|of\s+\S+\s+are))?\s*:?)\s*", re.IGNORECASE)
# atomic, and a run starts where a word starts: a long unbroken word is read once, not once per letter
_ITEM = r"(?>[A-Za-z0-9][A-Za-z0-9\-_/]*(?:\([A-Za-z0-9\-_/]+\)[A-Za-z0-9\-_/]*)?(?:\.[A-Za-z0-9]+)*|\.\.\.|…)"
_SEP = r"(?:\s*[,;]\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|\s+(?=\.\.\.|…)|(?<=\.\.\.)\s+|(?<=…)\s+)"
_ITEM_AT = re.compile(_ITEM)
_SEP_AT = re.compile(_SEP)
_SERIES_ITEM = re.compile(r"^([A-Za-z]+)[-_ ]?(\d+)$")
_UNLABELLED_RUN = re.compile(rf"(?<![A-Za-z0-9\-_/.]){_ITEM}(?:{_SEP}{_ITEM}){{4,}}")


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


class _Checker:
    def __init__(self, text: str, gene: Gene, graph):
        self.text, self.gene, self.graph = text, gene, graph
        self.names = {n.upper() for n in [gene.symbol, *gene.aliases, *gene.previous_symbols, *gene.synonyms,
                                          *gene.gencode_names]}
        self.sentences = _sentences(text)
        self._mentions: dict[tuple[int, int], set[str]] = {}
        self.edits: list[_Edit] = []
        self.checked: set[str] = set()

    def sentence_of(self, pos: int) -> tuple[int, int]:
        return next((s for s in self.sentences if s[0] <= pos <= s[1]), self.sentences[-1])

    def other_genes_in(self, pos: int) -> set[str]:
        """Official symbols of other genes named in the sentence around `pos`."""
        span = self.sentence_of(pos)
        if span not in self._mentions:
            found = set()
            for token in set(_GENE_TOKEN.findall(self.text[span[0]:span[1]])):
                if token.upper() in self.names or token in _NOT_GENES:
                    continue
                best = self.graph.resolve(token).best
                if best is not None and best.reason == "official" and best.gene_id != self.gene.gene_id:
                    found.add(best.symbol)
            self._mentions[span] = found
        return self._mentions[span]

    def propose(self, start: int, end: int, after: str, field: str) -> None:
        if self.text[start:end] != after and not any(e.start < end and start < e.end for e in self.edits):
            self.edits.append(_Edit(start, end, after, field))

    # identifiers ---------------------------------------------------------------------------------------

    def check_ids(self) -> None:
        truth: dict[str, tuple[str | None, Callable[[str], Gene | None], Callable[[str], bool]]] = {
            "hgnc_id": (self.gene.hgnc_id and self.gene.hgnc_id.split(":")[-1],
                        lambda v: self.graph.by_hgnc(f"HGNC:{v}"), lambda v: f"HGNC:{v}" == self.gene.hgnc_id),
            "entrez_id": (self.gene.entrez_id, self.graph.by_entrez, lambda v: v == self.gene.entrez_id),
            "ensembl_id": (self.gene.ensembl_id, self.graph.by_ensembl, lambda v: v == self.gene.ensembl_id),
            "omim_id": (self.gene.omim_id, self.graph.by_omim, lambda v: v == self.gene.omim_id),
            "uniprot_id": (self.gene.uniprot_ids[0] if self.gene.uniprot_ids else None, self.graph.by_uniprot,
                           lambda v: v in self.gene.uniprot_ids),
        }
        for field, pattern in _ID_PATTERNS.items():
            right, owner_of, is_right = truth[field]
            for m in pattern.finditer(self.text):
                self.checked.add(field)
                claimed = m.group(1)
                if is_right(claimed) or right is None:
                    continue
                owner = owner_of(claimed)
                if owner is not None and owner.symbol in self.other_genes_in(m.start()):
                    continue  # the id of another gene named right there
                self.propose(m.start(1), m.end(1), right, field)

    # symbol, name, location, locus type -----------------------------------------------------------------

    def check_symbol_and_name(self) -> None:
        for m in _SYMBOL_CLAIM.finditer(self.text):
            self.checked.add("symbol")
            if m.group(1) != self.gene.symbol and not self.other_genes_in(m.start()) - {m.group(1)}:
                self.propose(m.start(1), m.end(1), self.gene.symbol, "symbol")
        if not self.gene.name:
            return
        for m in _NAME_CLAIM.finditer(self.text):
            self.checked.add("name")
            if m.group(1).strip().lower() != self.gene.name.lower() and not self.other_genes_in(m.start()):
                self.propose(m.start(1), m.end(1), self.gene.name, "name")
        self.check_gloss_name()

    def check_gloss_name(self) -> None:
        """'SYMBOL (full name; HGNC:..., ...)': the first gloss item that is not a name of the gene nor an
        identifier is its full name (the layout Geneverse descriptions open with)."""
        opening = re.search(rf"(?<![\w-]){re.escape(self.gene.symbol)}\s*\(", self.text)
        if not opening:
            return
        pos = opening.end()
        for item in _GLOSS_ITEM.finditer(self.text, pos):
            if item.start() != pos:
                return
            words = item.group(1).strip()
            pos = item.end()
            if _ID_LIKE.match(words) or words.upper() in self.names:
                if item.group(2) != ";":
                    return
                continue
            if _NOT_A_NAME.match(words):
                return
            if " " in words:
                self.checked.add("name")
                if words.lower() != self.gene.name.lower():
                    start = item.start(1) + len(item.group(1)) - len(item.group(1).lstrip())
                    self.propose(start, start + len(words), self.gene.name, "name")
            return

    def check_location(self) -> None:
        chrom = self.gene.chromosome
        if not chrom:
            return
        for m in _CHROMOSOME_CLAIM.finditer(self.text):
            self.checked.add("chromosome")
            claimed = "MT" if m.group(1) == "M" else m.group(1)
            if claimed != chrom and not self.other_genes_in(m.start()):
                self.propose(m.start(1), m.end(1), "M" if chrom == "MT" and m.group(0).startswith("chr") else chrom,
                             "chromosome")
        if not self.gene.cytoband:
            return
        for m in _CYTOBAND_CLAIM.finditer(self.text):
            self.checked.add("cytoband")
            if not _bands_agree(m.group(0), self.gene.cytoband) and not self.other_genes_in(m.start()):
                self.propose(m.start(), m.end(), self.gene.cytoband, "cytoband")

    def check_locus_type(self) -> None:
        truth = _locus_class(self.gene.locus_group)
        if truth is None:
            return
        for m in _LOCUS_CLAIM.finditer(self.text):
            self.checked.add("locus_type")
            if _claim_class(m.group(1)) != truth and not self.other_genes_in(m.start()):
                self.propose(m.start(1), m.end(1), _locus_phrase(self.gene), "locus_type")

    # alias lists ----------------------------------------------------------------------------------------

    def real_aliases(self) -> list[str]:
        names = self.gene.aliases + self.gene.previous_symbols or self.gene.synonyms
        return list(dict.fromkeys(n for n in names if n != self.gene.symbol))

    def list_is_wrong(self, items: list[str]) -> bool:
        names = [i for i in items if i not in ("...", "…")]
        if len(names) < len(items) or len({n.upper() for n in names}) < len(names):
            return True  # elided or repeated: generated filler, not a list of names
        return any(n.upper() not in self.names for n in names)

    def check_alias_lists(self) -> None:
        for label in _ALIAS_LABEL.finditer(self.text):
            listed = _scan_names(self.text, label.end())
            if listed is None:
                continue
            self.checked.add("aliases")
            start, end, items = listed
            if not self.list_is_wrong(items):
                continue
            if self.other_genes_in(label.start()) and not self.list_is_degenerate(items):
                continue
            real = self.real_aliases()
            if real:
                self.propose(start, end, ", ".join(real), "aliases")
            else:
                self.remove_clause(label.start(), end)
        for run in _UNLABELLED_RUN.finditer(self.text):
            items = _split_items(run.group(0))
            if self.list_is_degenerate(items):
                self.checked.add("aliases")
                self.propose(run.start(), run.end(), ", ".join(self.real_aliases()) or self.gene.symbol, "aliases")

    def list_is_degenerate(self, items: list[str]) -> bool:
        """A numbered series of one stem (GLI-1, GLI-2, ...) mostly naming no gene, or one item repeated."""
        names = [i for i in items if i not in ("...", "…")]
        if len(names) - len({n.upper() for n in names}) >= 2:
            return True
        series = [_SERIES_ITEM.match(n) for n in names]
        if len(names) < 4 or not all(series) or len({s.group(1).upper() for s in series}) != 1:
            return False
        unknown = sum(1 for n in names if not self.graph.resolve(n).candidates)
        return unknown * 2 > len(names)

    def remove_clause(self, start: int, end: int) -> None:
        """Drop an 'also known as ...' clause when the gene has no alias, with its bracket or commas."""
        before, after = self.text[:start], self.text[end:]
        lead = re.search(r"[\s,(]*$", before)
        trail = re.match(r"[\s,)]*", after)
        opened = "(" in lead.group(0)
        start = lead.start() if lead else start
        end += trail.end() if trail else 0
        closing = " " if (opened or ", " in self.text[start:end]) and self.text[end:end + 1].isalnum() else ""
        self.propose(start, end, closing, "aliases")

    def corrections(self) -> tuple[str, list[Correction]]:
        source = gene_record_id(self.gene)
        text, done = self.text, []
        for edit in sorted(self.edits, key=lambda e: e.start, reverse=True):
            done.append(Correction(field=edit.field, before=text[edit.start:edit.end], after=edit.after,
                                   source=source))
            text = text[:edit.start] + edit.after + text[edit.end:]
        return text, done[::-1]


def _split_items(listed: str) -> list[str]:
    return [i for i in re.split(rf"{_SEP}", listed) if i]


def _name_like(item: str) -> bool:
    """Gene names carry a capital or a digit; a plain lower-case word ends the list ('..., which is')."""
    return item in ("...", "…") or any(c.isupper() or c.isdigit() for c in item)


def _scan_names(text: str, pos: int) -> tuple[int, int, list[str]] | None:
    """The list of names starting at `pos`: its span and items, or None when no name starts there."""
    items: list[str] = []
    start = end = pos
    while (item := _ITEM_AT.match(text, pos)) and _name_like(item.group(0)):
        items.append(item.group(0))
        end = item.end()
        separator = _SEP_AT.match(text, end)
        if separator is None:
            break
        pos = separator.end()
    return (start, end, items) if items else None


def _bands_agree(claimed: str, truth: str) -> bool:
    """Same chromosome and arm, and one band refines the other ('17q12' agrees with '17q12.1')."""
    first = re.split(r"\s*[-–]\s*", claimed)[0]
    real = re.split(r"\s*[-–]\s*", truth)[0]
    coarse, fine = sorted((first, real), key=len)
    return fine.startswith(coarse) and (len(fine) == len(coarse) or not fine[len(coarse)].isdigit())


def _locus_class(locus_group: str | None) -> str | None:
    return {"protein-coding gene": "coding", "non-coding RNA": "noncoding", "pseudogene": "pseudogene"}.get(
        locus_group or "")


def _claim_class(claim: str) -> str:
    lowered = claim.lower().replace("-", " ")
    if "pseudo" in lowered:
        return "pseudogene"
    if "non" in lowered or "rna" in lowered:
        return "noncoding"
    return "coding"


def _locus_phrase(gene: Gene) -> str:
    locus = _locus_class(gene.locus_group)
    if locus == "coding":
        return "protein-coding gene"
    if locus == "pseudogene":
        return "pseudogene"
    kind = (gene.locus_type or "").removeprefix("RNA, ")
    return {"long non-coding": "long non-coding RNA gene", "micro": "microRNA gene"}.get(
        kind, f"non-coding RNA gene ({kind})" if kind else "non-coding RNA gene")


def correct_text(text: str, gene: str | Gene, graph) -> CorrectionResult:
    """Check `text` about `gene` against the graph; return the corrected text and every change made."""
    subject = gene if isinstance(gene, Gene) else lookup(gene, graph)[0]
    checker = _Checker(text, subject, graph)
    checker.check_ids()
    checker.check_symbol_and_name()
    checker.check_alias_lists()
    checker.check_location()
    checker.check_locus_type()
    corrected, corrections = checker.corrections()
    return CorrectionResult(gene=subject.symbol, text=corrected, corrections=corrections,
                            checked=sorted(checker.checked))


# Degenerate repetition of greedy decoding: a unit said three or more times in a row ("N-Ax-N-Ax-N-Ax"), and a
# list item repeated in a row ("ribosome binding, ribosome binding, ...").
_REPEATED_UNIT = re.compile(r"(\S.{3,79}?)\1{2,}", re.DOTALL)
_REPEATED_ITEM = re.compile(r"(?<![^\s,;(])([^,;.()\n]*[^\s,;.()\n])(?:\s*[,;]\s*(?:and\s+)?\1(?![^\s,;.)]))+")
_WORD_KEY = re.compile(r"[a-z0-9]+")


def tidy_draft(text: str) -> tuple[str, list[Correction]]:
    """Remove the repetition small models fall into under greedy decoding: a unit said three or more times
    in a row, a list item repeated in a row, a sentence said before, and the unfinished sentence left when
    generation stopped at its token cap (when a finished one precedes it). Nothing is added; every
    removal is reported, with 'draft' as its source."""
    removed: list[Correction] = []

    def collapse(match: re.Match) -> str:
        removed.append(Correction(field="repetition", before=match.group(0), after=match.group(1), source="draft"))
        return match.group(1)

    text = _REPEATED_UNIT.sub(collapse, text)
    text = _REPEATED_ITEM.sub(collapse, text)
    kept, seen = [], set()
    spans = _sentences(text)
    for i, (start, end) in enumerate(spans):
        sentence = text[start:end].strip()
        if not sentence:
            continue
        key = " ".join(_WORD_KEY.findall(sentence.lower()))
        if key in seen:
            removed.append(Correction(field="repetition", before=sentence, after="", source="draft"))
        elif i == len(spans) - 1 and kept and not sentence.endswith((".", "!", "?", ")", '"')):
            removed.append(Correction(field="unfinished_sentence", before=sentence, after="", source="draft"))
        else:
            kept.append(sentence)
            seen.add(key)
    return " ".join(kept), removed
