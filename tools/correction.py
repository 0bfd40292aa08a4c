"""Post-correction of generated gene text against the graph (Geneverse paper, section 3.5).

Every identifier and fact the graph can check is checked: HGNC, Entrez, Ensembl, OMIM and UniProt ids,
official symbol, full name, chromosome, cytoband, locus type and alias lists. Wrong values are replaced by
the graph's, degenerate alias lists ("GLI-1; GLI-2; ... GLI-34") by the real aliases, and an alias that is
another gene's name by the real aliases; a value that is already right is never touched.

A claim belongs to what it is said of: the name a bracket around it follows ("MDM2 (HGNC:6973)"), else the
nearest gene, pronoun or other thing (a pseudogene, a paralog, a mouse gene, a "see MIM ..." reference) named
before it in its sentence, else the name a fronted phrase leads to ("On chromosome 12, MDM2 ..."), else what
the text is about so far. Only claims said of the text's gene are checked; the others, and prose the graph
does not hold (function, binding partners, expression), are reported as unchecked, never as checked."""

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

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
    reason: str = Field("", description="why the value was wrong, where the graph's value alone does not say it "
                                        "(e.g. an alias that is another gene's official symbol)")


class Claim(BaseModel):
    """One claim found in the text, and whether the graph checked it."""

    field: str = Field(description="the kind of claim: 'chromosome', 'cytoband', 'aliases', 'hgnc_id', ...; "
                                   "'statement' for prose the graph does not hold (function, partners, expression)")
    text: str = Field(description="the claim's words in the text")
    status: Literal["confirmed", "corrected", "unchecked"] = Field(
        description="'confirmed': the graph agrees; 'corrected': replaced by the graph's value; 'unchecked'")
    about: str | None = Field(None, description="what the claim is said of when that is not the gene: another "
                                                "gene's symbol, or words such as 'pseudogene'")
    note: str = Field("", description="why an unchecked claim was not checked")


class CorrectionResult(BaseModel):
    gene: str = Field(description="official symbol of the gene the text is about")
    text: str
    corrections: list[Correction] = []
    checked: list[str] = Field([], description="kinds of claim about the gene that the graph checked")
    unchecked: list[str] = Field([], description="kinds of claim left unchecked: said of something else, not in "
                                                 "the graph, or 'statement' (prose the graph does not hold)")
    claims: list[Claim] = Field([], description="each claim found, in text order, with what became of it")


@dataclass
class _Edit:
    start: int
    end: int
    after: str
    field: str
    reason: str = ""


@dataclass
class _Mention:
    """A name in a sentence: of the subject, of another gene or thing (`about`), or a pronoun (about None)."""
    start: int
    end: int
    about: str | None
    closes_at: int | None = None  # where the bracket around it closes: a claim past there is not said of it


# Acronyms that look like gene symbols in prose but are not claims about genes.
_NOT_GENES = {"DNA", "RNA", "MRNA", "GO", "ID", "HGNC", "OMIM", "MIM", "NCBI", "UTR", "ATP", "GTP", "ADP", "NAD",
              "NADH", "NADPH", "II", "III", "IV", "UV", "PCR", "SNP", "HIV", "RNAI", "CDNA", "TF", "ENSEMBL"}
# Kinds of name that make a token a mention of another gene (NCBI synonyms and GENCODE names are too loose:
# "ABC" is one).
_MENTION_KINDS = {"official", "ncbi_symbol", "previous", "alias"}
_GENE_TOKEN = re.compile(r"\b[A-Z][A-Z0-9]{1,9}(?:-[A-Z0-9]{1,4})?\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])|\n+")
_PRONOUN = re.compile(r"\b[Ii]ts?\b")
# in text about one gene, "the protein" is its product
_SUBJECT_REFERENCE = re.compile(r"\b(?:this|the)\s+(?:gene|locus|(?:encoded\s+)?protein)\b", re.IGNORECASE)
# What else a location or identifier in gene text is said of: a pseudogene, paralog or copy of the gene
# ("a pseudogene of this gene is on chromosome 3"), family members, a neighbour, a gene of another species,
# or a cross-reference ("see MIM 603034").
_OTHER_THING = re.compile(
    r"\b(pseudogenes?|(?:para|homo|ortho)logu?e?s?|cop(?:y|ies)|duplicates?|members|relatives?|mouse|murine|rat|"
    r"yeast|(?:up|down)stream|neighbou?r(?:ing|s)?|adjacent|see)\b(?:\s+(?:of|to)\s+(?:this\s+gene|the\s+gene|"
    r"[A-Za-z0-9][\w-]*))?", re.IGNORECASE)
# "was mapped to 21q21.3", "was used to map this gene to ...": how a gene was once placed, which later work may
# have moved; such a claim is reported unchecked, not corrected
_PAST_MAPPING = re.compile(r"\b(?:was|were|had\s+been|has\s+been|have\s+been)\s+(?:(?:first|originally|initially|"
                           r"previously)\s+)?(?:used\s+to\s+map|mapped|assigned)\b", re.IGNORECASE)
_BRACKET = re.compile(r"[()\[\]]")
_COORDINATION = re.compile(r"\b(?:and|but)\b|;")

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
_NOT_A_NAME = re.compile(r"(?:also|a\.?k\.?a|formerly|previously|or|see|e\.g|i\.e|encoded|located|on|which|that|"
                         r"who|whose|where|like|unlike|including)\b", re.IGNORECASE)
_ID_LIKE = re.compile(r"\s*(?:HGNC:|Ensembl|ENSG\d|Entrez|NCBI|OMIM|MIM|UniProt)", re.IGNORECASE)
_CHROMOSOME_CLAIM = re.compile(r"\b(?:chromosome\s+|chr)(\d{1,2}|X|Y|MT|M)(?![\w:]|\.\d)")
_BAND = r"[pq]\d{1,2}(?:\.\d{1,3})?"
_CYTOBAND_CLAIM = re.compile(rf"(?<![\w.])((?:\d{{1,2}}|X|Y)){_BAND}(?:\s*[-–]\s*(?:\d{{1,2}}|X|Y)?{_BAND})?(?![\w])")
_LOCUS_CLAIM = re.compile(
    r"\b(?:is|as)\s+an?\s+((?:protein[- ]coding|non[- ]protein[- ]coding|(?:long\s+)?non[- ]coding|lncRNA|"
    r"microRNA|miRNA|pseudogene)(?:\s+RNA)?(?:\s+gene)?|gene\s+with\s+protein\s+product)\b", re.IGNORECASE)
_ALIAS_LABEL = re.compile(
    r"\b(?:also\s+(?:known\s+as|called|named|termed|referred\s+to\s+as)|a\.?k\.?a\b\.?|(?:alias(?:es)?|synonyms|"
    r"other\s+names|alternative\s+(?:names|symbols)|previous\s+symbols)(?:\s+(?:include|are|of\s+\S+\s+are))?"
    r"\s*:?)\s*", re.IGNORECASE)
# atomic, and a run starts where a word starts: a long unbroken word is read once, not once per letter
_ITEM = r"(?>[A-Za-z0-9][A-Za-z0-9\-_/]*(?:\([A-Za-z0-9\-_/]+\)[A-Za-z0-9\-_/]*)?(?:\.[A-Za-z0-9]+)*|\.\.\.|…)"
_SEP = r"(?:\s*[,;]\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|\s+(?=\.\.\.|…)|(?<=\.\.\.)\s+|(?<=…)\s+)"
_ITEM_AT = re.compile(_ITEM)
_SEP_AT = re.compile(_SEP)
_SERIES_ITEM = re.compile(r"^([A-Za-z]+)[-_ ]?(\d+)$")
_UNLABELLED_RUN = re.compile(rf"(?<![A-Za-z0-9\-_/.]){_ITEM}(?:{_SEP}{_ITEM}){{4,}}")
# Words that say nothing past the claims the graph checks: a clause of these, names and claims holds no
# unchecked statement ("TP53 is a gene located on chromosome 17"), one with any other word does ("it binds MDM2").
_PLAIN_WORDS = frozenset({
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "is", "are", "was", "were", "be",
    "been", "being", "has", "have", "had", "also", "known", "as", "called", "named", "termed", "referred",
    "aka", "alias", "aliases", "synonym", "synonyms", "other", "names", "name", "symbol", "symbols",
    "official", "approved", "full", "previous", "gene", "genes", "locus", "located", "location", "lies",
    "lie", "lying", "maps", "mapped", "mapping", "map", "found", "situated", "resides", "positioned",
    "position", "on", "at", "in", "of", "to", "and", "or", "with", "by", "chromosome", "chromosomes",
    "chromosomal", "band", "cytoband", "region", "arm", "human", "protein", "product", "coding", "hgnc",
    "entrez", "ncbi", "ensembl", "omim", "mim", "uniprot", "uniprotkb", "swiss", "prot", "accession",
    "identifier", "id", "number"})
_CLAUSE_BREAK = re.compile(r"[,;:()]|\b(?:and|but|while|whereas|which|that)\b")
_WORD = re.compile(r"\b[A-Za-z][a-z]{2,}\b")  # a word, not a symbol: MDM2, BRCA are names
_NAMED_REASONS = 5  # wrong aliases a reason names one by one
_BAND_PARTS = re.compile(r"(?P<chrom>\d{1,2}|X|Y)(?P<arm>[pq])(?P<band>\d{1,2}(?:\.\d{1,3})?)")


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
        names = [gene.symbol, *gene.aliases, *gene.previous_symbols, *gene.synonyms, *gene.gencode_names]
        self.names = {n.upper() for n in names}
        # the gene's names a symbol-shaped token would miss ("p53", "MLN 19")
        spelled = sorted({n for n in names if len(n) > 1 and not _GENE_TOKEN.fullmatch(n)
                          and any(c.isupper() or c.isdigit() for c in n)}, key=len, reverse=True)
        self.spelled_names = re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, spelled))})(?!\w)") \
            if spelled else None
        # its full name names it, not the genes its words may be symbols of ("GATA binding protein 4")
        self.full_name = re.compile(rf"(?<!\w){re.escape(gene.name)}(?!\w)", re.IGNORECASE) if gene.name else None
        self.sentences = _sentences(text)
        self.sentence_starts = [start for start, _ in self.sentences]
        self.alias_lists = [(label.start(), *listed) for label in _ALIAS_LABEL.finditer(text)
                            if (listed := _scan_names(text, label.end())) is not None]
        self.alias_list_starts = [start for _, start, _, _ in self.alias_lists]
        self._mentions: dict[int, list[_Mention]] = {}
        self._brackets: dict[int, list[tuple[int, int]]] = {}
        self._topics: list[str] = []
        self._gene_of_token: dict[str, str | None] = {}
        self.edits: list[_Edit] = []
        self.edit_starts: list[int] = []
        self.claims: list[tuple[int, int, Claim]] = []

    # what a claim is said of ----------------------------------------------------------------------------

    def sentence_index(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.sentence_starts, pos) - 1)

    def in_alias_list(self, pos: int) -> bool:
        i = bisect.bisect_right(self.alias_list_starts, pos) - 1
        return i >= 0 and pos < self.alias_lists[i][2]

    def gene_of(self, token: str) -> str | None:
        """The official symbol of the gene a symbol-shaped token names, if it names one."""
        if token not in self._gene_of_token:
            best = self.graph.resolve(token).best
            self._gene_of_token[token] = best.symbol if best is not None and best.reason in _MENTION_KINDS else None
        return self._gene_of_token[token]

    def mentions(self, index: int) -> list[_Mention]:
        """The names in a sentence, in order. Names inside a name of another thing ("a pseudogene of this
        gene") or inside an alias list (names claimed for the gene before it) are not mentions themselves."""
        if index in self._mentions:
            return self._mentions[index]
        start, end = self.sentences[index]
        subject = self.gene.symbol
        # (start, precedence, end, about): where two overlap the earlier wins, then the lower precedence
        candidates = [(m.start(), 0, m.end(), m.group(1).lower())
                      for m in _OTHER_THING.finditer(self.text, start, end)]
        for precedence, pattern, about in ((1, _SUBJECT_REFERENCE, subject), (2, _PRONOUN, None),
                                           (3, self.full_name, subject), (3, self.spelled_names, subject)):
            if pattern is not None:
                candidates += [(m.start(), precedence, m.end(), about)
                               for m in pattern.finditer(self.text, start, end)]
        candidates += [(m.start(), 4, m.end(), m.group(0)) for m in _GENE_TOKEN.finditer(self.text, start, end)
                       if m.group(0) not in _NOT_GENES]
        candidates.sort(key=lambda c: c[:2])
        found: list[_Mention] = []
        reach = start
        for s, precedence, e, about in candidates:
            if s < reach or self.in_alias_list(s):
                continue
            if precedence == 4:
                about = subject if about.upper() in self.names else self.gene_of(about)
                if about is None:
                    continue
            found.append(_Mention(s, e, about))
            reach = e
        self._brackets[index] = self._close_brackets(found, start, end)
        self._mentions[index] = found
        return found

    def _close_brackets(self, mentions: list[_Mention], start: int, end: int) -> list[tuple[int, int]]:
        """Set where the innermost bracket around each mention closes; return each bracket's open and close
        (the sentence's end for one left open)."""
        open_at: list[int] = []
        closes: dict[int, int] = {}
        enclosing: list[int | None] = []
        brackets = iter(_BRACKET.finditer(self.text, start, end))
        bracket = next(brackets, None)
        for mention in [*mentions, None]:
            while bracket is not None and (mention is None or bracket.start() < mention.start):
                if bracket.group() in "([":
                    open_at.append(bracket.start())
                elif open_at:
                    closes[open_at.pop()] = bracket.start()
                bracket = next(brackets, None)
            if mention is not None:
                enclosing.append(open_at[-1] if open_at else None)
        for mention, opened in zip(mentions, enclosing):
            mention.closes_at = closes.get(opened) if opened is not None else None
        return [*closes.items(), *((opened, end) for opened in open_at)]

    def glossed(self, index: int, pos: int) -> _Mention | None:
        """The name that the innermost bracket around `pos` directly follows: all of 'TP53 (tumor protein p53;
        HGNC:11998)' is said of TP53, whatever other names the gloss holds."""
        around = [opened for opened, closed in self._brackets[index] if opened < pos < closed]
        if not around:
            return None
        opened = max(around)
        name = next((m for m in reversed(self.mentions(index)) if m.end <= opened), None)
        return name if name is not None and not self.text[name.end:opened].strip() else None

    def topic(self, index: int) -> str:
        """What sentence `index` is about: its first name, or, when that is a pronoun or there is none, what
        the sentence before is about; the text is about its gene until another takes its place."""
        while len(self._topics) <= index:
            first = next(iter(self.mentions(len(self._topics))), None)
            carried = self._topics[-1] if self._topics else self.gene.symbol
            self._topics.append(first.about if first is not None and first.about else carried)
        return self._topics[index] if index >= 0 else self.gene.symbol

    def said_of(self, before: int, after: int) -> str:
        """What a claim is said of: the name a bracket around it glosses, else the nearest name before `before`
        in its sentence that still stands there (one inside a closed bracket does not), else the name a
        fronted phrase leads to ("On chromosome 12, MDM2 ..."), else what the text is about so far."""
        index = self.sentence_index(before)
        mentions = self.mentions(index)
        if (gloss := self.glossed(index, before)) is not None:
            return gloss.about or self.topic(index)
        nearest = next((m for m in reversed(mentions)
                        if m.end <= before and (m.closes_at is None or m.closes_at > before)), None)
        if nearest is None:
            nearest = next((m for m in mentions if m.start >= after), None)
            if nearest is not None and not _fronted(self.text[after:nearest.start]):
                nearest = None
        if nearest is None:
            return self.topic(index - 1)
        said_of = nearest.about or self.topic(index)
        if _COORDINATION.search(self.text, nearest.end, before):
            # "MDM2 binds the protein and lies on chromosome 12": the verb after 'and' may share the sentence's
            # subject rather than the nearest name
            subject = mentions[0].about or self.topic(index)
            if subject != said_of:
                return f"{subject} or {said_of}"
        return said_of

    def is_subject(self, start: int, end: int, field: str, before: int | None = None) -> bool:
        """Whether the claim at start..end is said of the gene; one said of anything else is recorded unchecked."""
        about = self.said_of(start if before is None else before, end)
        if about == self.gene.symbol:
            return True
        self.record(start, end, field, "unchecked", about=about, note=self.not_said_of_the_gene(about))
        return False

    def not_said_of_the_gene(self, about: str) -> str:
        return f"unclear whether said of {about}" if " or " in about else f"said of {about}, not {self.gene.symbol}"

    def genes_named_near(self, pos: int) -> set[str]:
        return {m.about for m in self.mentions(self.sentence_index(pos)) if m.about}

    # recording ------------------------------------------------------------------------------------------

    def record(self, start: int, end: int, field: str, status: str, about: str | None = None,
               note: str = "") -> None:
        claim = Claim(field=field, text=self.text[start:end], status=status, about=about, note=note)
        self.claims.append((start, end, claim))

    def unknown(self, start: int, end: int, field: str) -> None:
        self.record(start, end, field, "unchecked", note=f"the graph holds no {field} for {self.gene.symbol}")

    def settle(self, claim: tuple[int, int], field: str, wrong: bool, start: int, end: int, after: str,
               reason: str = "") -> None:
        """Record a claim about the gene as confirmed, or replace text[start:end] with the graph's value."""
        if not wrong:
            self.record(*claim, field, "confirmed")
        elif self.propose(start, end, after, field, reason):
            self.record(*claim, field, "corrected")
        else:
            self.record(*claim, field, "unchecked", note="overlaps another correction")

    def propose(self, start: int, end: int, after: str, field: str, reason: str = "") -> bool:
        """Take an edit unless it changes nothing or overlaps one taken before (edits are kept in text order)."""
        i = bisect.bisect_left(self.edit_starts, start)
        if self.text[start:end] == after or (i > 0 and self.edits[i - 1].end > start) or \
                (i < len(self.edits) and self.edits[i].start < end):
            return False
        self.edits.insert(i, _Edit(start, end, after, field, reason))
        self.edit_starts.insert(i, start)
        return True

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
                if not self.is_subject(m.start(), m.end(), field):
                    continue
                if right is None:
                    self.unknown(m.start(), m.end(), field)
                    continue
                claimed = m.group(1)
                owner = None if is_right(claimed) else owner_of(claimed)
                if owner is not None and owner.symbol in self.genes_named_near(m.start()):
                    self.record(m.start(), m.end(), field, "unchecked", about=owner.symbol,
                                note=f"the id of {owner.symbol}, named in the same sentence")
                    continue
                self.settle(m.span(), field, not is_right(claimed), m.start(1), m.end(1), right)

    # symbol, name, location, locus type -----------------------------------------------------------------

    def check_symbol_and_name(self) -> None:
        for m in _SYMBOL_CLAIM.finditer(self.text):
            if self.is_subject(m.start(), m.end(), "symbol", before=m.start(1)):
                self.settle(m.span(), "symbol", m.group(1) != self.gene.symbol, m.start(1), m.end(1),
                            self.gene.symbol)
        for m in _NAME_CLAIM.finditer(self.text):
            if not self.is_subject(m.start(), m.end(), "name", before=m.start(1)):
                continue
            if not self.gene.name:
                self.unknown(m.start(), m.end(), "name")
                continue
            self.settle(m.span(), "name", not _same_name(m.group(1), self.gene.name), m.start(1), m.end(1),
                        self.gene.name)
        if self.gene.name:
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
            words = _before_identifiers(item.group(1)).strip()
            pos = item.end()
            if _ID_LIKE.match(words) or words.upper() in self.names:
                if item.group(2) != ";":
                    return
                continue
            if _NOT_A_NAME.match(words):
                return
            if " " in words:
                start = item.start(1) + len(item.group(1)) - len(item.group(1).lstrip())
                end = start + len(words)
                self.settle((start, end), "name", not _same_name(words, self.gene.name), start, end, self.gene.name)
            return

    def reported_mapping(self, start: int, end: int, field: str) -> bool:
        """Whether the claim's clause reports a past mapping ('was mapped to'); recorded unchecked if so."""
        sentence_start, _ = self.sentences[self.sentence_index(start)]
        clause_start = max(sentence_start, self.text.rfind(";", sentence_start, start) + 1)
        if _PAST_MAPPING.search(self.text, clause_start, start) is None:
            return False
        self.record(start, end, field, "unchecked", note="a reported mapping, which later work may have moved")
        return True

    def location_to_check(self, m: re.Match, field: str, known: str | None) -> bool:
        """Whether a location claim is the gene's to check: not a reported past mapping, said of the gene, and
        known to the graph; any other is recorded unchecked, with why."""
        if self.reported_mapping(m.start(), m.end(), field) or not self.is_subject(m.start(), m.end(), field):
            return False
        if not known:
            self.unknown(m.start(), m.end(), field)
            return False
        return True

    def check_location(self) -> None:
        chrom, band = self.gene.chromosome, self.gene.cytoband
        for m in _CHROMOSOME_CLAIM.finditer(self.text):
            if not self.location_to_check(m, "chromosome", chrom):
                continue
            claimed = "MT" if m.group(1) == "M" else m.group(1)
            self.settle(m.span(), "chromosome", claimed != chrom, m.start(1), m.end(1),
                        "M" if chrom == "MT" and m.group(0).startswith("chr") else chrom)
        for m in _CYTOBAND_CLAIM.finditer(self.text):
            if not self.location_to_check(m, "cytoband", band):
                continue
            self.settle(m.span(), "cytoband", not _bands_agree(m.group(0), band), m.start(), m.end(), band)

    def check_locus_type(self) -> None:
        truth = _locus_class(self.gene.locus_group)
        for m in _LOCUS_CLAIM.finditer(self.text):
            if not self.is_subject(m.start(), m.end(), "locus_type"):
                continue
            if truth is None:
                self.unknown(m.start(), m.end(), "locus_type")
                continue
            self.settle(m.span(), "locus_type", _claim_class(m.group(1)) != truth, m.start(1), m.end(1),
                        _locus_phrase(self.gene))

    # alias lists ----------------------------------------------------------------------------------------

    def real_aliases(self) -> list[str]:
        names = self.gene.aliases + self.gene.previous_symbols or self.gene.synonyms
        return list(dict.fromkeys(n for n in names if n != self.gene.symbol))

    def list_is_wrong(self, items: list[str]) -> bool:
        names = [i for i in items if i not in ("...", "…")]
        if len(names) < len(items) or len({n.upper() for n in names}) < len(names):
            return True  # elided or repeated: generated filler, not a list of names
        return any(n.upper() not in self.names for n in names)

    def why_not_aliases(self, items: list[str]) -> str:
        """Why a list of names is not the gene's: filler, names of other genes, or names of no gene."""
        if self.list_is_degenerate(items):
            return f"a repeated or numbered series, not {self.gene.symbol}'s aliases"
        wrong = list(dict.fromkeys(i for i in items if i not in ("...", "…") and i.upper() not in self.names))
        reasons = []
        for item in wrong[:_NAMED_REASONS]:
            best = self.graph.resolve(item).best
            if best is not None and best.reason == "official":
                reasons.append(f"{item} is the official symbol of another gene ({best.hgnc_id or best.gene_id})")
            elif best is not None and best.reason in _MENTION_KINDS:
                reasons.append(f"{item} is a name of another gene, {best.symbol}")
            else:
                reasons.append(f"{item} is not a name of {self.gene.symbol}")
        if len(wrong) > _NAMED_REASONS:
            reasons.append(f"{len(wrong) - _NAMED_REASONS} more are not its names")
        return "; ".join(reasons)

    def check_alias_lists(self) -> None:
        for label_start, start, end, items in self.alias_lists:
            about = self.said_of(start, end)
            if about != self.gene.symbol and not self.list_is_degenerate(items):  # filler is nobody's list
                self.record(start, end, "aliases", "unchecked", about=about, note=self.not_said_of_the_gene(about))
                continue
            if not self.list_is_wrong(items):
                self.record(start, end, "aliases", "confirmed")
                continue
            reason = self.why_not_aliases(items)
            if real := self.real_aliases():
                self.settle((start, end), "aliases", True, start, end, ", ".join(real),
                            f"{reason}; replaced by {self.gene.symbol}'s aliases in the graph")
            else:
                self.remove_clause(label_start, end, f"{reason}; removed: {self.gene.symbol} has no alias in the graph")
                self.record(start, end, "aliases", "corrected")
        for run in _UNLABELLED_RUN.finditer(self.text):
            items = _split_items(run.group(0))
            if self.list_is_degenerate(items):
                self.settle(run.span(), "aliases", True, run.start(), run.end(),
                            ", ".join(self.real_aliases()) or self.gene.symbol, self.why_not_aliases(items))

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

    def remove_clause(self, start: int, end: int, reason: str) -> None:
        """Drop an 'also known as ...' clause when the gene has no alias, with its bracket or commas."""
        before, after = self.text[:start], self.text[end:]
        lead = re.search(r"[\s,(]*$", before)
        trail = re.match(r"[\s,)]*", after)
        opened = "(" in lead.group(0)
        start = lead.start() if lead else start
        end += trail.end() if trail else 0
        closing = " " if (opened or ", " in self.text[start:end]) and self.text[end:end + 1].isalnum() else ""
        self.propose(start, end, closing, "aliases", reason)

    # what the graph does not hold -----------------------------------------------------------------------

    def find_statements(self) -> None:
        """Each clause that says more than names and the claims above (what the gene does, binds, where it is
        expressed) is a statement the graph did not check."""
        spans = sorted([(s, e) for s, e, _ in self.claims] + [(ls, e) for ls, _, e, _ in self.alias_lists])
        starts = [s for s, _ in spans]
        reach = []  # the furthest end of the spans starting up to each one, so one look answers "inside any?"
        for _, e in spans:
            reach.append(max(e, reach[-1]) if reach else e)

        def said_by_a_claim(pos: int) -> bool:
            i = bisect.bisect_right(starts, pos) - 1
            return i >= 0 and pos < reach[i]

        for sentence_start, sentence_end in self.sentences:
            clause_start = sentence_start
            for brk in [*_CLAUSE_BREAK.finditer(self.text, sentence_start, sentence_end), None]:
                clause_end = brk.start() if brk else sentence_end
                if any(w.group().lower() not in _PLAIN_WORDS and not said_by_a_claim(w.start())
                       for w in _WORD.finditer(self.text, clause_start, clause_end)):
                    text = self.text[clause_start:clause_end]
                    lead = len(text) - len(text.lstrip())
                    shown = text.strip().rstrip(".!?")
                    self.record(clause_start + lead, clause_start + lead + len(shown), "statement", "unchecked",
                                note="not a fact the graph holds")
                clause_start = brk.end() if brk else sentence_end

    def result(self) -> CorrectionResult:
        source = gene_record_id(self.gene)
        text, done = self.text, []
        for edit in reversed(self.edits):
            done.append(Correction(field=edit.field, before=text[edit.start:edit.end], after=edit.after,
                                   source=source, reason=edit.reason))
            text = text[:edit.start] + edit.after + text[edit.end:]
        claims = [claim for _, _, claim in sorted(self.claims, key=lambda c: (c[0], c[1]))]
        return CorrectionResult(
            gene=self.gene.symbol, text=text, corrections=done[::-1], claims=claims,
            checked=sorted({c.field for c in claims if c.status != "unchecked"}),
            unchecked=sorted({c.field for c in claims if c.status == "unchecked"}))


def _fronted(gap: str) -> bool:
    """Whether the words between a claim and the next name make the claim a phrase put before that name: a
    comma, then a few words at most ('on chromosome 22, a related pseudogene')."""
    return "," in gap and len(gap.rsplit(",", 1)[1].split()) <= 3


def _before_identifiers(item: str) -> str:
    """A gloss item up to the identifiers a comma may run it into ('name, HGNC:14444, Ensembl ...')."""
    for comma in re.finditer(",", item):
        if _ID_LIKE.match(item, comma.end()):
            return item[:comma.start()]
    return item


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
    """Same chromosome and arm, and one band refines the other ('17q12' agrees with '17q12.1'); a range agrees
    when the band lies within it ('6p21.3-p21.1' holds 6p21.2)."""
    first, *rest = re.split(r"\s*[-–]\s*", claimed)
    real = re.split(r"\s*[-–]\s*", truth)[0]
    if _refines(first, real):
        return True
    if not rest:
        return False
    chromosome = re.match(r"\d*[XY]?", first).group()
    last = rest[0] if rest[0][0] not in "pq" else chromosome + rest[0]  # '6p21.3-p21.1' ends at 6p21.1
    if _refines(last, real):
        return True
    low, high, band = _BAND_PARTS.match(first), _BAND_PARTS.match(last), _BAND_PARTS.match(real)
    if not (low and high and band) or not low["chrom"] == high["chrom"] == band["chrom"]:
        return False
    if low["arm"] != high["arm"]:  # across the centromere: it holds the near ends of both arms
        return True
    bounds = sorted((float(low["band"]), float(high["band"])))
    return band["arm"] == low["arm"] and bounds[0] <= float(band["band"]) <= bounds[1]


def _refines(coarse: str, fine: str) -> bool:
    coarse, fine = sorted((coarse, fine), key=len)
    return fine.startswith(coarse) and (len(fine) == len(coarse) or not fine[len(coarse)].isdigit())


def _same_name(claimed: str, name: str) -> bool:
    """Names that differ only in case, spacing or hyphens ('G-protein', 'G protein') are one name."""
    def key(text: str) -> str:
        return " ".join(text.lower().replace("-", " ").split())
    return key(claimed) == key(name)


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
    """Check `text` about `gene` against the graph; return the corrected text, every change made, and each
    claim found with whether it was checked."""
    subject = gene if isinstance(gene, Gene) else lookup(gene, graph)[0]
    checker = _Checker(text, subject, graph)
    checker.check_ids()
    checker.check_symbol_and_name()
    checker.check_alias_lists()
    checker.check_location()
    checker.check_locus_type()
    checker.find_statements()
    return checker.result()


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
