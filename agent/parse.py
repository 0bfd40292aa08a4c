"""The deterministic parser: a linked question becomes a typed question plan (`tools.query.plan.Plan`).

It composes the plan from parts rather than matching whole questions:
- every mention the question makes, each linked to the graph's vocabularies (genes, conditions, GO terms,
  gene groups, cell types, biosamples, assays, targets, chromosomes, bands, positions, locus types, the
  schema's fields and kinds), with its scope: negated ('but not', 'except'), all of ('both ... and'), any of;
- what is asked for: the first kind or field the question names that is not a condition's label;
- the operation: from the wording's cues ('how many', 'nearest', 'the most', a yes-or-no question, two genes
  compared), held to what the mentions allow (a comparison needs two records);
- for a question that names only a gene, the intent model over MiniLM embeddings of the masked question
  (agent/intent.py) says which fact or tool it asks for ('Where is TP53?', 'What does GLI1 do?');
- refusals for what the graph does not hold, by the vocabulary of those data (species, rsIDs, expression
  levels, exons, 3-D structures).
Its confidence falls with every word of the question it could not account for; below `CONFIDENT` the model
parser is asked (agent/model_parser.py)."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from agent.encoder import packaged_vocabulary
from agent.entities import LinkedEntities
from agent.intent import IntentScore, exemplar_words
from agent.mentions import fields_of, name_spans, noun_kind, phrase_words
from tools.query.builder import NotInData
from tools.query.plan import DECLINE_WORDS, LOCATION, Plan, field_kind, kinds
from tools.query.vocabulary import _ASSAYS, CYTOBAND, LOCUS_TYPES, REGION, normalise, vocabulary

CONFIDENT = 0.6


class ParsedPlan(BaseModel):
    plan: Plan | None = None
    parser: str = Field("rules", description="which parser made the plan: rules or model")
    confidence: float = 0.0
    reason: str = Field("", description="what was understood, or what was not")
    routes: list[IntentScore] = Field([], description="the intent model's best readings, when it was asked")


@dataclass
class Item:
    """One mention: what it is, its value as the plan will carry it, where it stands."""
    kind: str  # gene, disease, go_term, gene_group, cell_type, biosample, assay, target, chromosome, cytoband,
    #            region, position, locus, distance, number
    value: Any
    span: tuple[int, int]
    scope: str = "is"  # is, not, all
    extra: dict = field(default_factory=dict)


# --- refusals ------------------------------------------------------------------------------------------------

_SPECIES = (r"mouse|mice|murine|mus musculus|rat|rats|rattus|zebrafish|danio|drosophila|fruit ?fl(?:y|ies)|fly|"
            r"yeast|saccharomyces|cerevisiae|pombe|worm|c\.? elegans|caenorhabditis|arabidopsis|plant|chicken|"
            r"xenopus|frog|pig|porcine|dog|canine|cow|bovine|cattle|sheep|horse|macaque|rhesus|chimp(?:anzee)?|"
            r"primate|e\.? coli|bacteri(?:a|al|um)|viral|virus")
DECLINES: list[tuple[str, re.Pattern[str]]] = [
    ("variant", re.compile(r"\brs\d{3,}\b|\bSNPs?\b|\b[ACGT]+\s*>\s*[ACGT]+\b|\bc\.\d+[ACGT]>|\bp\.[A-Z][a-z]{2}\d+")),
    ("other_species", re.compile(rf"\b(?:{_SPECIES})\b|\b(?:ortholog|orthologue|homolog|homologue)s?\b",
                                 re.IGNORECASE)),
    ("expression", re.compile(r"\bexpression (?:level|value|abundance)s?\b|\b(?:tpm|fpkm|rpkm|cpm)\b|"
                              r"\bhow (?:highly|much|strongly) (?:is|are)\b.*\bexpressed\b|"
                              r"\b(?:highly|lowly|most) expressed\b|\bexpressed (?:at|the most)\b|\blevels? of\b.*\bexpression\b",
                              re.IGNORECASE)),
    ("exon", re.compile(r"\bexons?\b|\bintrons?\b|\bintron-exon\b|\bexon-intron\b|\bsplice (?:site|variant)s?\b|"
                        r"\bisoforms?\b|\btranscript structures?\b|\bUTRs?\b|\bcodons?\b", re.IGNORECASE)),
    ("structure", re.compile(r"\b(?:3-?D|three[- ]dimensional|crystal|cryo-?em|tertiary|quaternary) structures?\b|"
                             r"\bprotein structures?\b|\bstructure of the\b.*\bprotein\b|\bPDB (?:entr(?:y|ies)|id)\b|"
                             r"\bfold(?:ing)?\b", re.IGNORECASE)),
]


def _blanked(question: str, entities: LinkedEntities) -> str:
    """The question with the names it links blanked: 'UTR' in a GO term's name asks nothing about exons."""
    spans = name_spans(entities.mentions) + ([entities.disease_span] if entities.disease_span else [])
    for start, end in spans:
        question = question[:start] + " " * (end - start) + question[end:]
    return question


def decline_reason(question: str) -> str | None:
    for reason, pattern in DECLINES:
        if pattern.search(question):
            return reason
    return None


# --- mentions -----------------------------------------------------------------------------------------------

_TARGET_CLASS = re.compile(r"\btranscription factors?\b|\bTFs?\b|\bhistone (?:marks?|modifications?)\b",
                           re.IGNORECASE)
_CHROMOSOMES = re.compile(r"\bchromosomes?\s+(\d{1,2}|X|Y|MT?)\b|\bchr(\d{1,2}|X|Y|MT?)\b(?!\s*:)", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:not|no|except|excluding|without|lacking|other than|apart from|but not|never|"
                       r"non|outside|besides|off)\b|n't\b", re.IGNORECASE)
_ALL = re.compile(r"\bboth\b|\ball of\b|\beach of\b|\bas well as\b|\band also\b|\balso\b", re.IGNORECASE)
_ANY = re.compile(r"\bor\b|\beither\b|\bany of\b", re.IGNORECASE)


def _find(question: str, text: str, start: int = 0) -> tuple[int, int] | None:
    at = question.lower().find(text.lower(), start)
    return (at, at + len(text)) if at >= 0 else None


def _biosamples(question: str, graph, taken: list[tuple[int, int]]) -> list[Item]:
    """Every biosample the question names (the omics linker finds one)."""
    vocab = vocabulary(graph).biosamples
    words = [(m.group(0), m.start(), m.end()) for m in re.finditer(r"[\w\-+.()/]+", question)][:300]
    found: list[Item] = []
    for size in range(min(5, len(words)), 0, -1):
        for i in range(len(words) - size + 1):
            span = (words[i][1], words[i + size - 1][2])
            if any(span[0] < e and s < span[1] for s, e in taken + [f.span for f in found]):
                continue
            key = normalise(" ".join(w.strip(".,()") for w, _, _ in words[i:i + size]))
            if len(key) >= 2 and key in vocab and not key.isdigit():
                found.append(Item("biosample", vocab[key], span))
    return found


def mentions(question: str, entities: LinkedEntities, graph) -> list[Item]:
    """Every linked mention with its span, in question order, non-overlapping (first linked wins)."""
    items: list[Item] = []
    taken: list[tuple[int, int]] = []

    def add(item: Item) -> None:
        if all(item.span[1] <= s or item.span[0] >= e for s, e in taken):
            items.append(item)
            taken.append(item.span)

    extra = entities.mentions
    for chromosome, position, span in extra.positions:
        add(Item("position", f"chr{chromosome}:{position}", span))
    for m in REGION.finditer(question):
        add(Item("region", m.group(0), m.span()))
    if extra.distance:
        add(Item("distance", extra.distance[0], extra.distance[1]))
    for name, span in extra.gene_groups:  # names of several words, linked before the words inside them
        add(Item("gene_group", name, span))
    tissue = extra.tissues[0][0] if extra.tissues else None
    for name, span in extra.cell_types:  # a tissue the question names narrows the cell type
        add(Item("cell_type", f"{name} in {tissue}" if tissue else name, span, extra={"name": name}))
    for _, span in extra.tissues:
        taken.append(span)
    for _, name, span in extra.go_terms:
        add(Item("go_term", name, span))
    samples = vocabulary(graph).biosamples
    experimental = bool(re.search(r"\bexperiments?\b|\bprofiled\b|\bassay\w*\b|\bChIP\b|\bDNase\b|\bATAC\b|"
                                  r"\bbiosamples?\b|\bcell lines?\b|\btracks?\b", question, re.IGNORECASE))
    for gene in entities.genes:
        if not gene.span:
            continue
        if experimental and gene.reason != "official" and normalise(gene.mention) in samples:
            add(Item("biosample", samples[normalise(gene.mention)], gene.span))  # 'H1' the cell line
        else:
            add(Item("gene", gene.mention, gene.span, extra={"symbol": gene.symbol, "reason": gene.reason}))
    if entities.disease and entities.disease_span:
        add(Item("disease", question[slice(*entities.disease_span)], entities.disease_span))
    for go_id, name in entities.go_terms:
        span = _find(question, go_id) or _find(question, name)
        if span:
            add(Item("go_term", name, span))
    if entities.omics.go_id and not entities.go_terms:
        name = graph.go_term_names().get(entities.omics.go_id)
        span = _find(question, entities.omics.go_id) or (_find(question, name) if name else None)
        if span is None and name:  # 'hemoglobin complexes': the plural the linker read
            span = _find(question, name.rstrip("s"))
        if span:
            add(Item("go_term", name or entities.omics.go_id, span))
    for m in CYTOBAND.finditer(question):
        add(Item("cytoband", m.group(0), m.span()))
    for m in _CHROMOSOMES.finditer(question):
        add(Item("chromosome", (m.group(1) or m.group(2)).upper(), m.span()))
    for pattern, (prop, value) in LOCUS_TYPES:
        for m in pattern.finditer(question):
            add(Item("locus", value, m.span(), extra={"prop": prop}))
    for pattern, assay in _ASSAYS:
        for m in pattern.finditer(question):
            add(Item("assay", assay, m.span()))
    for m in _TARGET_CLASS.finditer(question):
        add(Item("target_class", "histone mark" if m.group(0).lower().startswith("histone") else
                 "transcription factor", m.span()))
    for target in entities.omics.targets:
        span = _find(question, target)
        if span:
            add(Item("target", target, span))
    for item in _biosamples(question, graph, taken):
        add(item)
    if extra.number:
        add(Item("number", extra.number[0], extra.number[1]))
    items.sort(key=lambda i: i.span)
    _scope(question, items)
    return items


def _scope(question: str, items: list[Item]) -> None:
    """Negation reaches the next mention after 'not', 'except', 'but not' ...; 'both X and Y' makes every
    listed value required."""
    previous_end = 0
    for item in items:
        between = question[previous_end:item.span[0]]
        if _NEGATION.search(between) and item.kind not in {"distance", "number"}:
            item.scope = "not"
        previous_end = item.span[1]
    for kind in {i.kind for i in items}:
        same = [i for i in items if i.kind == kind and i.scope != "not"]
        if len(same) < 2:
            continue
        between = question[same[0].span[1]:same[-1].span[0]]
        before = question[max(0, same[0].span[0] - 30):same[0].span[0]]
        if (_ALL.search(before) or _ALL.search(between) or " and " in between) and not _ANY.search(between):
            for i in same:
                i.scope = "all"


# --- the operation ----------------------------------------------------------------------------------------

_COUNT = re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow much\b", re.IGNORECASE)
_RANKING = re.compile(r"\btop[- ]?\d*\b|\b(?:most|highest|largest|greatest|fewest|lowest)\b|\b(?:ranked|rank|sorted|"
                      r"ordered) by\b", re.IGNORECASE)
_RANK = re.compile(r"\btop\b|\bmost\b|\bfewest\b|\bleast\b|\bhighest\b|\blowest\b|\b\w+est\b", re.IGNORECASE)
_SUPERLATIVE_NOT = {"interest", "test", "latest", "request", "suggest", "rest", "forest", "honest", "modest",
                    "biggest", "largest", "longest", "shortest", "smallest", "greatest"}
_NEAREST = re.compile(r"\bnearest\b|\bclosest\b|\bnext to\b", re.IGNORECASE)
_COMPARE = re.compile(r"\bsame\b|\bshare[sd]?\b|\bsharing\b|\bin common\b|\bcommon to\b|\bcompare\b|\bcompared\b|"
                      r"\bversus\b|\bvs\.?\b|\bthan\b|\bdiffer\b|\bdifferent\b|\bboth\b|\b(?:longer|shorter|larger|"
                      r"bigger|smaller|greater)\b|\bwhich of\b|\bwhich one\b", re.IGNORECASE)
_SHARED = re.compile(r"\bshared?\b|\bin common\b|\bcommon\b", re.IGNORECASE)
_ENRICHED = re.compile(r"\benrich\w*\b|\bover-?represent\w*\b", re.IGNORECASE)
_YES_NO = re.compile(r"^\s*(?:is|are|does|do|did|was|were|has|have|can|could|will|would|should)\b"
                     r"(?!\s+(?:you|u)\s+(?:please\s+)?(?:tell|give|show|list|find|name|say|let|provide|report|look|"
                     r"get|know)\b)|\b(?:true or false|yes or no)\b", re.IGNORECASE)
_NEAR = re.compile(r"\bwithin\b|\bnear\b|\bnearby\b|\baround\b|\bflank\w*\b|\bneighbo\w*\b|\bsurround\w*\b|"
                   r"\bclose to\b|\bvicinity\b", re.IGNORECASE)
_SUPERLATIVE = re.compile(r"\b(?:longest|shortest|largest|biggest|smallest|greatest|most|fewest|least|highest|"
                          r"lowest)\b", re.IGNORECASE)


@lru_cache(maxsize=4)
def known_words(graph) -> frozenset[str]:
    """Words the parsers know, which respelling leaves alone: the schema's phrases, the exemplars' words, the
    words of GO term, gene group and condition names, and the cue words of the rules here."""
    cues = "chromosome chromosomes position protein coding nearest closest between within neighbour neighbouring " \
           "compare marker markers tissue tissues experiment experiments biosample targets associated annotated " \
           "involved longest shortest largest smallest expression structure ortholog homolog variant crystal " \
           "structures three dimensional orthologue homologue isoform isoforms splice spliced intron introns"
    names = [*graph.go_term_names().values(), *(r["name"] for r in graph.store.run(
        "MATCH (g:GeneGroup) RETURN g.name AS name")), *graph.disease_names.primary.values()]
    vocabulary = {w for name in names for w in re.findall(r"[a-z]{6,}", name.lower())}
    # the encoder's whole-word pieces: ordinary English words ('design') are not misspellings of others
    english = {w for w in packaged_vocabulary() if w.isalpha() and len(w) >= 6}
    return phrase_words() | exemplar_words() | frozenset(cues.split()) | frozenset(vocabulary) | frozenset(english)


# --- what is asked ----------------------------------------------------------------------------------------

_ASKING = re.compile(r"\b(?:which|what|list|show|name|give|find|return|report|enumerate|count|how many|number of|"
                     r"top \d+|\d+ most|are there|tell me|get)\b", re.IGNORECASE)
# the fields a mention's value fills: a field named right beside such a value only labels it ('band 17p13',
# 'SNRNP70 as target'), it is not what the question asks for
FILLS = {"gene": {"target"}, "chromosome": {"chromosome"}, "cytoband": {"cytoband", LOCATION}, "gene_group": {"gene_group", "gene_groups"},
         "cell_type": {"cell_type"}, "disease": {"disease"}, "biosample": {"biosample"}, "assay": {"assay"},
         "target": {"target"}, "target_class": {"target_class"}, "locus": {"locus_type", "locus_group"},
         "position": {LOCATION},
         "region": {LOCATION}, "go_term": {"go_term", "go_process", "go_function", "go_component"}}
_LABEL_GAP = re.compile(r"^\s*(?:['\"(]\s*)?$|^\s*(?:as|is|is the|as the|=|:)\s*$", re.IGNORECASE)


_IDENTIFIER_FIELDS = {"hgnc_id", "entrez_id", "ensembl_id", "uniprot_ids", "omim_id", "gene"}


def _labels(phrase: str, span: tuple[int, int], question: str, items: list[Item]) -> bool:
    fields = fields_of(phrase) | ({k} if (k := _noun(phrase)) else set())
    for item in items:
        fills = FILLS.get(item.kind, set())
        if item.kind == "gene" and item.extra.get("reason") == "identifier":
            fills = fills | _IDENTIFIER_FIELDS  # 'UniProt P46937' names the gene by its accession
        if not fields & fills:
            continue
        between = question[span[1]:item.span[0]] if item.span[0] >= span[1] else question[item.span[1]:span[0]]
        if _LABEL_GAP.match(between):
            return True
    return False


def _noun(phrase: str) -> str | None:
    try:
        return noun_kind(phrase)
    except KeyError:
        return None


_ANAPHORA = re.compile(r"\b(?:this|that|these|those|the same|said)\s+$", re.IGNORECASE)
_PARENTHESISED = re.compile(r"\(([^()]{2,40})\)")


def asked_phrases(question: str, entities: LinkedEntities, items: list[Item]) -> list[tuple[str, tuple[int, int]]]:
    """Fields and kinds the question names that are not the label of a value ('on chromosome 19',
    'in gene group X', 'SNRNP70 as target'), in order."""
    # a field named in parentheses clarifies what is asked ('Where on the chromosome is X mapped (band)?')
    clarified = [m.span(1) for m in _PARENTHESISED.finditer(question)]
    phrases = sorted(set(entities.mentions.fields) | set(entities.mentions.nouns),
                     key=lambda p: (not any(s <= p[1][0] and p[1][1] <= e for s, e in clarified), p[1]))
    out = []
    for phrase, span in phrases:
        if _ANAPHORA.search(question[max(0, span[0] - 12):span[0]]) and any(i.kind == _noun(phrase) for i in items):
            continue  # 'this gene' refers back to one the question named
        if phrase == "name" and not question[:span[0]].strip(" ,.:;!?").lower().removeprefix("please").strip():
            continue  # 'Name the genes ...' opens with a verb
        inside = any(i.span[0] <= span[0] and span[1] <= i.span[1] for i in items)
        if not inside and not _labels(phrase, span, question, items) and (phrase, span) not in out:
            out.append((phrase, span))
    return out


# --- composing the plan -----------------------------------------------------------------------------------

_DEFAULT_ASK = {"official_symbol": "symbol", "chromosome": "chromosome", "cytoband": "cytoband",
                "diseases_of_gene": "disease", "go_terms": "go_term"}
_ID_FIELDS = {"hgnc": "hgnc_id", "entrez": "entrez_id", "ensembl": "ensembl_id", "uniprot": "uniprot_ids",
              "omim": "omim_id"}
ASPECT_FIELDS = {"BP": "go_process", "MF": "go_function", "CC": "go_component"}
TOOL_ROUTES = {"describe", "tracks", "go_enrichment", "retrieval"}
# asking for Enformer's predictions around a gene (not asking which tracks there are)
_TRACK_REQUEST = re.compile(r"\bpredict\w*\b|\b(?:signal|profile|coverage)s? (?:around|at|near|over|of)\b|"
                            r"\b(?:run|apply) enformer\b|\benformer (?:on|at|around|for)\b", re.IGNORECASE)


def _gene_condition(item: Item) -> tuple[str, str] | None:
    """(field, value) of a gene's property or link that an item names."""
    match item.kind:
        case "chromosome":
            return "chromosome", item.value
        case "cytoband":
            return "cytoband", item.value
        case "locus":
            return item.extra["prop"], item.value
        case "disease" | "gene_group" | "cell_type" | "go_term":
            return item.kind, item.extra.get("name", item.value) if item.kind != "cell_type" else item.value
        case "region" | "position":
            return LOCATION, item.value
    return None


def _experiment_condition(item: Item) -> tuple[str, str] | None:
    if item.kind in {"assay", "target", "biosample", "target_class"}:
        return item.kind, item.value
    if item.kind == "gene":
        return "target", item.extra["symbol"]
    return None


def _kind_condition(kind: str, item: Item) -> tuple[str, str] | None:
    """A mention as a condition on records of another kind: through the link back to genes, or a property."""
    if item.kind == "gene" and "gene" in kinds()[kind].links:
        return "gene", item.value
    if item.kind in kinds()[kind].links:
        return item.kind, item.value
    if item.kind in kinds()[kind].properties:
        return item.kind, item.value
    return None


class Composer:
    """Builds the plan for one question from its mentions, asked phrases and operation."""

    def __init__(self, question: str, entities: LinkedEntities, items: list[Item]):
        self.question, self.entities, self.items = question, entities, items
        self.unplaced: list[Item] = []

    def conditions(self, find: str, items: list[Item]) -> list[dict]:
        """Items as conditions of `find`, values of one field and scope merged into one condition."""
        merged: dict[tuple[str, str], dict] = {}
        for item in items:
            if item.kind in {"distance", "number"}:
                continue
            if find == "gene":
                placed = _gene_condition(item)
            elif find in {"experiment", "track"}:
                placed = _experiment_condition(item)
            else:
                placed = _kind_condition(find, item)
            if placed is None:
                self.unplaced.append(item)
                continue
            on, value = placed
            if on == "go_term" and self.entities.aspect:
                on = ASPECT_FIELDS[self.entities.aspect]
            op = item.scope
            if on == LOCATION and op == "is":
                op = "overlaps"
            key = (on, op)
            merged.setdefault(key, {"on": on, "op": op, "values": []})["values"].append(str(value))
        out = []
        for condition in merged.values():
            if condition["op"] == "all" and len(condition["values"]) == 1:
                condition["op"] = "is"
            out.append({k: v for k, v in condition.items() if not (k == "op" and v == "is")})
        return out

    def asked(self) -> tuple[str, str | None]:
        """(find, ask): the kind of record the question is about and what it asks of them. The first kind the
        question names decides what it is about (a kind named right beside a record, 'FNTB gene', only labels
        it); the first field of that kind after it is what is asked."""
        phrases = asked_phrases(self.question, self.entities, self.items)
        experimental = any(i.kind in {"assay", "target", "biosample", "target_class"} for i in self.items)
        tracks = bool(re.search(r"\btracks?\b|\benformer\b", self.question, re.IGNORECASE))
        markers = bool(re.search(r"\bmarkers?\b|\bmarks?\b|\bmarking\b|\bmarked\b", self.question, re.IGNORECASE))
        find: str | None = None
        for phrase, span in phrases:
            try:
                noun = noun_kind(phrase)
            except KeyError:
                noun = None
            if noun and self._labels_a_record(noun, span):
                continue  # 'the gene SAMHD1'
            if noun and find is None and (noun in {"gene", "experiment", "track"} or self._fits(noun)):
                find = noun
                continue
            owner = find or ("track" if tracks else "experiment" if experimental else None)
            for field_name in sorted(fields_of(phrase), key=lambda f: f != "gene_groups"):
                if owner and field_kind(kinds()[owner], field_name) and field_name not in {"source"} \
                        and field_name != owner:
                    return owner, self._aspect(field_name)
            if find is None:
                others = [k for k in kinds() if k != "gene" and any(
                    field_kind(kinds()[k], f) == "property" for f in fields_of(phrase))]
                if markers and "cell_type" in others and self._fits("cell_type"):
                    return "cell_type", next(f for f in fields_of(phrase) if f in kinds()["cell_type"].properties)
                gene_fields = [f for f in fields_of(phrase) if field_kind(kinds()["gene"], f)]
                if gene_fields:
                    return "gene", self._aspect(gene_fields[0])
        if find:
            return find, None
        if experimental or tracks:
            owner = "track" if tracks else "experiment"
            classed = next((i for i in self.items if i.kind == "target_class"), None)
            if classed and _ASKING.search(self.question[max(0, classed.span[0] - 25):classed.span[0]]):
                return owner, "target"  # 'which transcription factors were assayed in A549'
            return owner, None
        return "gene", None

    def _aspect(self, field_name: str) -> str:
        if field_name == "go_term" and self.entities.aspect:
            return ASPECT_FIELDS[self.entities.aspect]
        return field_name

    def _labels_a_record(self, noun: str, span: tuple[int, int]) -> bool:
        """'FNTB gene', 'the gene TP53': the kind word only labels a record the question names."""
        return any(i.kind == noun and (0 <= span[0] - i.span[1] <= 2 or 0 <= i.span[0] - span[1] <= 2)
                   for i in self.items)

    def _fits(self, kind: str) -> bool:
        """Every mention can be a condition on records of `kind`."""
        others = [i for i in self.items if i.kind not in {"distance", "number"}]
        return bool(others) and all(_kind_condition(kind, i) is not None for i in others)


def compose(question: str, entities: LinkedEntities, items: list[Item], op: str,
            route: Callable[[], str | None] = lambda: None) -> tuple[Plan | None, list[Item], str]:
    """The plan for the operation, the mentions it could not place, and why it failed if it did. `route` reads
    the intent model's route, which names the fact a question that names only a gene asks for."""
    composer = Composer(question, entities, items)
    find, ask = composer.asked()
    genes = [i for i in items if i.kind == "gene"]
    if op in {"get", "compare", "check"} and find not in {"gene", "experiment", "track"} and genes \
            and find in kinds()["gene"].links and not ask:
        find, ask = "gene", find  # 'which conditions do A and B share': the named genes' linked records
    near = _NEAR.search(question) or any(i.kind == "distance" for i in items)
    number = next((i.value for i in items if i.kind == "number"), None)
    plan: dict[str, Any] = {"op": op, "find": find}
    rest = [i for i in items if i.kind != "gene"]
    if find == "gene":
        if near and genes and op in {"list", "count", "rank"}:
            distance = next((i.value for i in items if i.kind == "distance"), None)
            anchor = genes[0]
            plan["where"] = [{"on": LOCATION, "op": "within", "values": [anchor.extra["symbol"]],
                              "distance": distance or 1_000_000}]
            genes = genes[1:]
        if op == "nearest":
            anchors = genes[:1] or []
            plan["names"] = [a.value for a in anchors]
            genes = []
        elif op in {"get", "check", "compare"} or (op == "rank" and len(genes) >= 2) or genes and op in {"list", "count"} and not near:
            plan["names"] = [g.value for g in genes]
            genes = []
        plan.setdefault("where", [])
        plan["where"] += composer.conditions("gene", rest + genes)
    elif find in {"experiment", "track"}:
        plan["where"] = composer.conditions(find, items)
    else:
        plan["where"] = composer.conditions(find, items)
    if ask is None and find == "gene" and op in {"get", "compare"} and route() in _DEFAULT_ASK:
        ask = _DEFAULT_ASK[route()]
        if ask == "go_term" and entities.aspect:
            ask = ASPECT_FIELDS[entities.aspect]
    if ask is None and find == "gene" and entities.identifier_kind and op in {"get", "compare"} \
            and route() == "identifier":
        ask = _ID_FIELDS[entities.identifier_kind]
    if op == "rank":
        by_phrase = re.search(r"\b(?:per|by|for each|in each|each)\s+(\w+)", question, re.IGNORECASE)
        grouped = ask in {"chromosome", "target", "biosample", "assay", "gene_group", "cell_type", "disease",
                          "locus_type", "locus_group", "cytoband", "tissue"} and not _SUPERLATIVE_AFTER(question, ask)
        if grouped or (by_phrase and ask and by_phrase.group(1).lower().rstrip("s") in ask):
            plan["by"], ask = ask, None
        if ask is None and "by" not in plan:
            measure = _measure(question, find)
            if measure:
                ask = measure
        if not plan.get("by") and not ask:
            return None, composer.unplaced, "a ranking needs what to rank by"
        if re.search(r"\b(?:fewest|least|shortest|smallest|lowest)\b", question, re.IGNORECASE):
            plan["order"] = "asc"
        plan["limit"] = number or (None if re.search(r"\btop\b", question, re.IGNORECASE) else 1)
    if op == "compare" and re.search(r"\b(?:shorter|smaller|fewer|less)\b", question, re.IGNORECASE):
        plan["order"] = "asc"
    if op == "nearest":
        plan["limit"] = number or 1
    if op in {"list"} and number:
        plan["limit"] = number
    if ask == "name" and find == "gene" and not plan.get("names") and op == "list":
        ask = None  # 'the name of the gene related to X is': which gene
    if ask:
        plan["ask"] = ask
    single = [c for c in plan.get("where", []) if c["on"] == "gene" and c.get("op", "is") == "is"
              and len(c["values"]) == 1]
    if plan["op"] == "list" and find != "gene" and find in kinds()["gene"].links and plan.get("where") == single \
            and single and not plan.get("ask"):
        # 'which conditions is BRCA1 linked to': the gene's linked records, as a gene fact
        plan = {"op": "get", "find": "gene", "names": single[0]["values"], "ask": find}
        find = "gene"
    if plan["op"] in {"list", "get"} and find == "gene" and plan.get("names") and plan.get("where") and not near:
        plan["op"] = "check"  # 'protein-coding, XAB2:' tests the named gene against the conditions
    if plan["op"] in {"get", "check", "compare"} and not plan.get("names") and find != "gene":
        plan["op"] = "list"  # 'every biosample with a ZNF579 ChIP-seq experiment' names no experiment
    if plan["op"] == "check" and not plan.get("where") and len(plan.get("names", [])) < 2:
        plan["op"] = "get"  # 'is GENE on the plus or minus strand?' asks for the value
    if plan["op"] == "list" and plan.get("names") and not plan.get("where"):
        plan["op"] = "get"  # named records and nothing to filter them by: their values are asked for
        if "ask" not in plan and find == "gene" and route() in _DEFAULT_ASK:
            plan["ask"] = _DEFAULT_ASK[route()]
    try:
        return Plan.model_validate(plan), composer.unplaced, ""
    except ValidationError as err:
        return None, composer.unplaced, "; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())


def _SUPERLATIVE_AFTER(question: str, ask: str) -> bool:
    """'Which chromosome is the longest' ranks chromosomes by their own size, not by counting genes."""
    return False


def _measure(question: str, find: str) -> str | None:
    """What a superlative ranks by: 'longest' -> length, 'most conditions' -> disease."""
    kind = kinds()[find]
    m = re.search(r"\b(?:most|fewest|least|highest number of|largest number of|greatest number of)\s+((?:\w+\s+){0,3}\w+)",
                  question, re.IGNORECASE)
    if m:
        words = m.group(1).lower().split()
        for size in range(len(words), 0, -1):
            phrase = " ".join(words[:size])
            for field_name in fields_of(phrase):
                if field_kind(kind, field_name):
                    return field_name
    m = _SUPERLATIVE.search(question)
    if m:
        for field_name in fields_of(m.group(0).lower()):
            if field_kind(kind, field_name):
                return field_name
    return None


def parse(question: str, entities: LinkedEntities, graph,
          routes: Callable[[], list[IntentScore]] = list) -> ParsedPlan:
    """The rules' plan for a question, with their confidence and what they understood. `routes` are the intent
    model's readings of the question, asked for only when the mentions leave the plan open: a question that
    names nothing but a gene ('What does GLI1 do?', 'Where is TP53?')."""
    reason = decline_reason(_blanked(question, entities))
    if reason:
        plan = Plan(op="decline", decline=reason)
        return ParsedPlan(plan=plan, confidence=0.9, reason=DECLINE_WORDS[reason])
    if entities.omics.missing:  # Hi-C, CUT&RUN, single-cell: assays the data does not hold
        return ParsedPlan(plan=Plan(op="decline", decline="not_in_graph"), confidence=0.9,
                          reason=str(NotInData(entities.omics.missing)).removesuffix("."))
    items = mentions(question, entities, graph)
    genes = [i for i in items if i.kind == "gene"]
    symbols = [g.extra["symbol"] for g in genes]
    covered = [question[slice(*i.span)].lower() for i in items]
    unknown = [u for u in entities.unresolved if not any(u.lower() in c for c in covered)]
    if unknown and not genes:
        return ParsedPlan(confidence=0.0, reason=f"'{unknown[0]}' names no gene in the graph")
    if _TRACK_REQUEST.search(question) and len(genes) == 1 and not _COUNT.search(question):
        where = [{"on": i.kind, "values": [i.value]} for i in items if i.kind in {"assay", "biosample"}]
        where += [{"on": "assay", "values": [i.value]} for i in items if i.kind == "target"][:1]
        plan = Plan(op="tool", tool="tracks", find="track", names=symbols, where=where)
        return ParsedPlan(plan=plan, confidence=0.9, reason="asks for Enformer's predicted tracks around a gene")
    others = [i for i in items if i.kind not in {"gene", "number"}]
    if len(genes) >= 3 and not others and (_ENRICHED.search(question) or _SHARED.search(question)):
        plan = Plan(op="tool", tool="go_enrichment", names=symbols)
        return ParsedPlan(plan=plan, confidence=0.85, reason="what several genes share: GO enrichment")
    read: list[IntentScore] = []

    def route() -> str | None:
        """The intent model's best route, read once and only when needed."""
        if not read:
            read.extend(routes() or [IntentScore(route="unknown", score=0.0)])
        return read[0].route

    if not others and not asked_phrases(question, entities, items) and route() in TOOL_ROUTES:
        tool_plan = _tool_plan(read[0], question, genes)
        if tool_plan is not None:
            return tool_plan
    allowed = _allowed_ops(question, items, genes, entities)
    op = _cue_op(question, items, genes, allowed) or _plain_op(question, entities, items, genes)
    plan, unplaced, failure = compose(question, entities, items, op, route)
    if plan is None:
        return ParsedPlan(confidence=0.0, reason=failure or "no plan fits the question")
    if plan.op in {"list", "rank", "nearest"} and plan.find == "gene" and not (plan.where or plan.names or plan.by):
        return ParsedPlan(confidence=0.0, reason="it names nothing to choose genes by (all 43,882 genes is never "
                                                 "the answer)")
    if plan.ask in ASPECT_FIELDS.values() and len(plan.names) >= 3 and plan.op in {"get", "compare"}:
        # the GO processes of a list of genes at once: what stands out among them is an enrichment
        return ParsedPlan(plan=Plan(op="tool", tool="go_enrichment", names=symbols), confidence=0.85,
                          reason="GO terms of several genes: GO enrichment")
    unexplained, content = _unexplained(question, items, entities)
    # every word the rules could not account for makes the plan less sure, the more so in a short question
    confidence = 0.95 - (0.3 if unplaced else 0.0) - 0.6 * len(unexplained) / max(1, content)
    if unexplained and not unplaced and confidence < CONFIDENT:
        # words the rules do not know may be chat around a question the intent model knows well
        route()
        confidence = max(confidence, read[0].score + 0.1)
    reason = f"{plan.op} plan" + (f"; words not understood: {', '.join(unexplained)}" if unexplained else "")
    if unplaced:
        reason += f"; not placed: {', '.join(i.kind + ' ' + str(i.value) for i in unplaced)}"
    return ParsedPlan(plan=plan, confidence=round(max(0.0, confidence), 3), reason=reason,
                      routes=read[:3])


_ALTERNATIVES = re.compile(r"^\s*(?:,|or|vs\.?|versus)\s*$", re.IGNORECASE)


def _plain_op(question: str, entities: LinkedEntities, items: list[Item], genes: list[Item]) -> str:
    """The operation of a question without a counting, ranking, nearest or yes-or-no cue: a list when it asks
    for a kind of record ('Which genes lie within 1 Mb of TP53?'), a comparison when it asks a field of
    alternatives ('Which gene spans more bases: A or B?'), else the asked field of the records it names."""
    find, ask = Composer(question, entities, items).asked()
    if not genes or _NEAR.search(question) or any(i.kind == "distance" for i in items):
        return "list"
    alternatives = len(genes) >= 2 and any(_ALTERNATIVES.match(question[a.span[1]:b.span[0]])
                                           for a, b in pairwise(genes))
    if ask and alternatives:
        return "compare"
    if find == "gene" and ask is None and _asks_kind(question, entities, items, "gene"):
        return "list"
    return "get"


def _asks_kind(question: str, entities: LinkedEntities, items: list[Item], kind: str) -> bool:
    """The question asks for records of a kind ('which genes', 'list the genes'), not one it names."""
    return any(_noun(phrase) == kind for phrase, _ in asked_phrases(question, entities, items))


def _tool_plan(best: IntentScore, question: str, genes: list[Item]) -> ParsedPlan | None:
    """The registry tool a question that names only genes asks for: a description, the tracks around a gene,
    GO enrichment of a gene list, or a search of gene descriptions (no gene at all)."""
    symbols = [g.extra["symbol"] for g in genes]
    said = f"reads as {best.route} ({best.score:.2f})"
    if best.route == "go_enrichment" and len(genes) >= 2:
        return ParsedPlan(plan=Plan(op="tool", tool=best.route, names=symbols), confidence=best.score, reason=said)
    if best.route in {"describe", "tracks"} and len(genes) == 1 and not _COUNT.search(question):
        return ParsedPlan(plan=Plan(op="tool", tool=best.route, names=symbols), confidence=best.score, reason=said)
    if best.route == "retrieval" and not genes:
        return ParsedPlan(plan=Plan(op="tool", tool=best.route, names=[question]), confidence=best.score,
                          reason="reads as a search of gene descriptions")
    return None


_WHETHER = re.compile(r"\b(?:whether|if)\b", re.IGNORECASE)


def _in_field(question: str, m: re.Match | None, entities: LinkedEntities) -> bool:
    """The cue is part of a field's name ('OMIM number', 'most studied'), or asks a number a field holds
    ('how many base pairs does X span' asks its length, not to count records)."""
    if m is None:
        return False
    for phrase, (s, e) in entities.mentions.fields:
        if s <= m.start() < e:
            return True
        numeric = any(p.type == "int" for k in kinds().values() for f in fields_of(phrase)
                      if (p := k.properties.get(f)) is not None)
        if numeric and 0 <= s - m.end() <= 1:
            return True
    return False


def _allowed_ops(question: str, items: list[Item], genes: list[Item], entities: LinkedEntities) -> set[str]:
    """Operations the question's wording and mentions allow: each but get and list needs its cue."""
    allowed = {"get", "list"}
    count = _COUNT.search(question)
    if (count and not _in_field(question, count, entities)) or re.search(r"\btotal\b", question, re.IGNORECASE):
        allowed.add("count")
    if _RANKING.search(question) or _SUPERLATIVE.search(question):
        allowed.add("rank")
    if _NEAREST.search(question) and (genes or any(i.kind in {"position", "region"} for i in items)):
        allowed.add("nearest")
    if _YES_NO.search(question) or _WHETHER.search(question):
        allowed.add("check")
    if len(genes) >= 2:
        allowed.add("compare")
    if not genes:
        allowed -= {"get", "check", "compare"}
    return allowed


def _cue_op(question: str, items: list[Item], genes: list[Item], allowed: set[str]) -> str | None:
    """Operations the wording settles outright: 'how many' counts, 'nearest' finds the nearest, a yes-or-no
    question checks."""
    if "nearest" in allowed:
        return "nearest"
    if "count" in allowed and not _RANKING.search(question):
        return "count"
    if "check" in allowed and _YES_NO.search(question):
        return "check"
    if "compare" in allowed and _COMPARE.search(question) and not _NEAR.search(question):
        return "compare"
    if "rank" in allowed:
        return "rank"
    if "check" in allowed:
        return "check"
    return None


_CONTENT = re.compile(r"[A-Za-z][A-Za-z\-']{3,}")
# words of the rules' own cues: counting, ranking, comparing, neighbourhoods, yes-or-no
_CUE_TEXT = """
    nearest closest next within near nearby around flanking neighbourhood neighborhood neighbouring
    neighboring surrounding vicinity most fewest least highest lowest largest longest shortest smallest
    biggest greatest top ranked rank sorted ordered same share shares shared sharing common compare
    compared versus than differ different both either each every true false whether overlap overlaps
    overlapping position positions
"""
_CUE_WORDS = frozenset(_CUE_TEXT.split())
# words that carry no content of their own here
_FUNCTION_TEXT = """
    about above after again against also among another anything are around associated because been before
    being below belong belongs between both carry carries does doing done during each either every find
    from give gives have having here into involved just least less list located lies lying many more most
    much name named need only other over please same should show some such tell than that their them then
    there these they this those through under very want were what when where which while whose will with
    within would your yours genes gene lie locate sits sit found genome human return report display
    enumerate provide known called mapped maps map linked link links related relate relates according
    graph database data record records share shared sharing common compare comparing whether number count
    counted total measure measures measured measuring profile profiled profiling assay assayed performed
    perform run ran carried available exist exists existing present know like wonder kindly quick quickly
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


def _unexplained(question: str, items: list[Item], entities: LinkedEntities) -> tuple[list[str], int]:
    """Content words of the question that no mention, field, kind or operation word accounts for, and how
    many content words (and mentions) the question has."""
    covered = [i.span for i in items] + [s for _, s in entities.mentions.fields] + \
        [s for _, s in entities.mentions.nouns] + [s for _, s in entities.mentions.tissues]
    out = []
    for m in _CONTENT.finditer(question):
        word = m.group(0).lower()
        if any(s <= m.start() < e for s, e in covered) or word in _FUNCTION_WORDS or word in exemplar_words() \
                or word in _CUE_WORDS:
            continue
        out.append(m.group(0))
    content = len(items) + len(entities.mentions.fields) + len(out) + sum(
        1 for m in _CONTENT.finditer(question) if m.group(0).lower() in _CUE_WORDS)
    return out, content
