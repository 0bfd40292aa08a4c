"""Gene function descriptions grounded in the graph.

The graph's facts about a gene (a `FactsPacket`) are given to the language model, which writes one academic
paragraph; every sentence of that draft is then checked against the packet, and a sentence with a claim
the packet does not support (another gene, an identifier, or a process, function, place, relation or
condition that no single packet fact holds) is dropped. The packet's GO terms are those that state the
gene's main theme: the terms that name most of its annotation, experimental evidence first, isolated
"response to" terms left out, with the GO-slim categories most of its terms fall under. Facts the surviving draft leaves unsaid are added as deterministic sentences, so the answer
always states the gene's identity, place and annotated function. With no model at all the deterministic
composition is the answer.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field

from kg.models import Gene
from kg.paths import data_dir
from kg.sources.refseq_summary import clean_summary
from tools.correction import Correction, correct_text, tidy_draft
from tools.gene_facts import gene_record_id, lookup

DRAFT_TOKENS = 112  # a RefSeq summary averages 122 tokens; drafts loop after their first sentences
MAX_FUNCTIONS, MAX_PROCESSES, MAX_COMPONENTS, MAX_PATHWAYS, MAX_DISEASES = 4, 5, 3, 3, 3
# Terms annotated to more genes than this say nothing about one gene ("protein binding", "nucleus").
MAX_TERM_GENES = 2500
# GO processes that name a pathway or a metabolic route: the pathway context of a gene's processes.
_PATHWAY_TERM = re.compile(r"pathway|signal(?:l)?ing|metabolic process|biosynthetic process|catabolic process|"
                           r"cell cycle|apoptotic process|autophagy|DNA repair", re.IGNORECASE)
# ClinVar's placeholders for a missing condition name.
_NO_CONDITION = re.compile(r"^(?:not provided|not specified|see cases|none provided)$", re.IGNORECASE)

# Training pairs (`geneverse finetune data --format grounded`) use this prompt too, with no system prompt.
GROUNDED_PROMPT = (
    "Facts about the human gene {symbol}:\n{facts}\n\n"
    "Please summarize the major function of gene: {symbol}. Use academic language in one paragraph and "
    "include pathway information. Use only the facts above."
)


class FactsPacket(BaseModel):
    """What the graph knows about one gene, in the form a model is prompted with and a draft is checked against."""

    symbol: str
    name: str | None = None
    locus_group: str | None = None
    locus_type: str | None = None
    chromosome: str | None = None
    cytoband: str | None = None
    hgnc_id: str | None = None
    entrez_id: str | None = None
    ensembl_id: str | None = None
    aliases: list[str] = []
    gene_groups: list[str] = Field([], description="HGNC gene groups")
    functions: list[str] = Field([], description="most specific direct GO molecular functions")
    processes: list[str] = Field([], description="most specific direct GO biological processes")
    components: list[str] = Field([], description="most specific direct GO cellular components")
    categories: list[str] = Field([], description="GO-slim categories that most of the gene's GO terms fall under")
    pathways: list[str] = Field([], description="GO processes naming a pathway that contain the gene's processes")
    diseases: list[str] = Field([], description="ClinVar / HPO conditions")
    experiments: dict[str, int] = Field({}, description="ENCODE experiments targeting the gene, by assay")
    experiment_biosamples: list[str] = []
    summary: str | None = Field(None, description="RefSeq summary, when the graph has one")
    records: list[str] = Field([], description="graph records the packet rests on")

    @property
    def is_protein_coding(self) -> bool:
        return self.locus_group == "protein-coding gene"

    def prompt_lines(self) -> list[str]:
        """The packet as short 'field: value' lines, the input of the grounded model."""
        lines = [f"Symbol: {self.symbol}", f"Name: {self.name or self.symbol}",
                 f"Type: {locus_phrase(self)}"]
        if self.cytoband or self.chromosome:
            lines.append(f"Location: {self.cytoband or 'chromosome ' + str(self.chromosome)}")
        for label, values in (("Gene group", self.gene_groups), ("Molecular function", self.functions),
                              ("Biological process", self.processes), ("Pathway", self.pathways),
                              ("Cellular component", self.components), ("GO slim", self.categories),
                              ("Disease", self.diseases)):
            if values:
                lines.append(f"{label}: {'; '.join(values)}")
        if self.summary:
            lines.append(f"RefSeq summary: {self.summary}")
        return lines

    def text(self) -> str:
        """Everything the packet states, as one text: what a draft sentence may draw on."""
        parts = self.prompt_lines() + [
            ", ".join(filter(None, [self.hgnc_id, self.entrez_id, self.ensembl_id, *self.aliases])),
            " ".join(f"{assay} {n}" for assay, n in self.experiments.items()),
            ", ".join(self.experiment_biosamples),
        ]
        return "\n".join(parts)


def locus_phrase(packet: FactsPacket | Gene) -> str:
    """HGNC's locus type in prose: 'RNA, micro' -> 'microRNA gene'."""
    kind = (packet.locus_type or "").strip()
    if not kind:
        return "gene"
    if kind == "gene with protein product":
        return "protein-coding gene"
    if kind.startswith("RNA, "):
        rest = kind[5:]
        return {"micro": "microRNA gene", "long non-coding": "long non-coding RNA gene"}.get(rest, f"{rest} RNA gene")
    if kind.startswith("pseudogene"):
        return "pseudogene"
    return kind if "gene" in kind or "region" in kind or "segment" in kind else f"{kind} gene"


_TERM_FILLER = {"of", "to", "in", "by", "the", "and", "or", "a", "via", "process", "activity", "regulation",
                "positive", "negative", "cellular", "cell", "involved"}
# GO's name for a reaction to an outside agent ("response to cocaine", "cellular response to leptin
# stimulus"): a condition under which the gene was seen to act, seldom its role.
_RESPONSE_TO = re.compile(r"^(?:cellular )?response to (.+)$", re.IGNORECASE)
_ROOT_TERMS = {"GO:0008150", "GO:0003674", "GO:0005575"}  # biological_process, molecular_function, cellular_component
MAX_CATEGORIES = 5
MIN_BELOW_GENES = 3


def _term_words(name: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in _TERM_FILLER} or {name.lower()}


def _isolated_responses(direct: list) -> set[str]:
    """The gene's "response to <agent>" terms whose agent no other of its terms names: the iron of a hormone's
    "response to iron ion" beside "iron ion homeostasis" stays, a cyclin's "response to cocaine" goes."""
    others = [_term_words(t.name) for t in direct if not _RESPONSE_TO.match(t.name)]
    isolated = set()
    for term in direct:
        match = _RESPONSE_TO.match(term.name)
        if match and not any(_term_words(match.group(1)) & words for words in others):
            isolated.add(term.go_id)
    return isolated


def _central(direct: list, annotation: list, sizes: dict[str, int], limit: int, exclude: set[str],
             already: tuple[str, ...] = ()) -> list[str]:
    """The terms that state the gene's main theme: chosen one by one, each the direct term that names the most
    of the gene's annotation (its direct terms and the ancestors they imply, an experimentally supported one
    counting double) not yet named, so that a kinase's terms cover its kinase ancestors before a single
    stray process; ties go to experimental evidence, then to the more specific term. Terms too broad to say
    anything about one gene, and isolated "response to" terms, are left out when others exist. Terms in
    `already` count as named."""
    usable = ([t for t in direct if sizes.get(t.go_id, 0) <= MAX_TERM_GENES and t.go_id not in exclude]
              or [t for t in direct if sizes.get(t.go_id, 0) <= MAX_TERM_GENES] or direct)
    weights = {t.go_id: 2 if t.experimental else 1 for t in annotation
               if t.go_id not in _ROOT_TERMS and not _RESPONSE_TO.match(t.name)}
    words = {t.go_id: _term_words(t.name) for t in annotation}
    stated = set().union(*(_term_words(name) for name in already))
    uncovered = {u for u in weights if not words[u] <= stated}
    names: list[str] = []
    candidates = list({t.go_id: t for t in usable}.values())
    while candidates and len(names) < limit:
        def gain(term, stated=stated, uncovered=uncovered) -> int:
            said = stated | words[term.go_id]
            return sum(weights[u] for u in uncovered if words[u] <= said)

        best = max(candidates, key=lambda t: (gain(t), t.experimental, -sizes.get(t.go_id, 0), t.name))
        candidates.remove(best)
        if best.name in names:
            continue
        names.append(best.name)
        stated |= words[best.go_id]
        uncovered = {u for u in uncovered if not words[u] <= stated}
    return names


@lru_cache(maxsize=1)
def _slim_ids() -> frozenset[str]:
    obo = data_dir() / "go" / "goslim_generic.obo"
    return frozenset(re.findall(r"^id: (GO:\d+)", obo.read_text(encoding="utf-8"), re.MULTILINE))


@lru_cache(maxsize=2)
def _term_genes(graph: Any) -> dict[str, set[str]]:
    """GO id -> symbols annotated to it, directly or through a more specific term (all three aspects)."""
    members: dict[str, set[str]] = {}
    for aspect in ("BP", "MF", "CC"):
        members.update(graph.go_annotations(aspect=aspect))
    return members


def _categories(symbol: str, direct: list, annotation: list, graph: Any, stated: str) -> list[str]:
    """The GO-slim categories that dominate the gene's annotation: the slim terms above the largest share of
    its direct terms of their aspect (a term is below a slim term when every gene annotated to it is
    annotated to the slim term), the more specific first; those the packet's terms already name are left
    out."""
    members = _term_genes(graph)
    said = _term_words(stated)
    below: dict[str, list[set[str]]] = {}
    for term in direct:
        genes = members.get(term.go_id, {symbol})
        if len(genes) >= MIN_BELOW_GENES:  # a term of one or two genes is "below" any slim term they share
            below.setdefault(term.aspect, []).append(genes)

    def dominance(slim) -> float:
        genes, mine = members.get(slim.go_id, set()), below.get(slim.aspect, [])
        return sum(b <= genes for b in mine) / len(mine) if mine else 0.0

    slims = [t for t in annotation if t.go_id in _slim_ids() and t.go_id not in _ROOT_TERMS
             and not _term_words(t.name) <= said]
    ranked = sorted(slims, key=lambda t: (-dominance(t), len(members.get(t.go_id, ())), t.name))
    return [t.name for t in ranked[:MAX_CATEGORIES]]


def facts_packet(name: str, graph: Any, include_summary: bool = True) -> FactsPacket:
    """The graph's facts about a gene. The RefSeq summary is included only when the graph has one (a graph
    built with withheld summaries has none) and `include_summary` is set."""
    gene, _ = lookup(name, graph)
    sizes = graph.go_term_sizes
    terms = graph.go_terms(gene.gene_id)
    direct = [t for t in terms if t.direct]
    isolated = _isolated_responses(direct)

    def central(aspect: str, limit: int) -> list[str]:
        return _central([t for t in direct if t.aspect == aspect], [t for t in terms if t.aspect == aspect],
                        sizes, limit, isolated)

    processes, functions, components = (central("BP", MAX_PROCESSES), central("MF", MAX_FUNCTIONS),
                                        central("CC", MAX_COMPONENTS))
    pathway_terms = [t for t in terms if t.aspect == "BP" and _PATHWAY_TERM.search(t.name)
                     and t.name not in processes and sizes.get(t.go_id, 0) <= MAX_TERM_GENES]
    said, pathways = _term_words(" ".join(processes)), []
    for term in sorted(pathway_terms, key=lambda t: (sizes.get(t.go_id, 0), t.name)):
        if len(pathways) < MAX_PATHWAYS and not _term_words(term.name) <= said:  # the most specific, each new
            pathways.append(term.name)
            said |= _term_words(term.name)
    diseases: list[str] = []
    disease_ids: list[str] = []
    for disease in graph.diseases_of_gene(gene.gene_id):
        if disease.name and not _NO_CONDITION.match(disease.name) and disease.name not in diseases:
            diseases.append(disease.name)
            disease_ids.append(disease.disease_id)
    experiments = graph.experiments(target=gene.symbol) if gene.is_protein_coding else []
    summary = clean_summary(gene.summary) if include_summary else None
    return FactsPacket(
        symbol=gene.symbol, name=gene.name, locus_group=gene.locus_group, locus_type=gene.locus_type,
        chromosome=gene.chromosome, cytoband=gene.cytoband, hgnc_id=gene.hgnc_id, entrez_id=gene.entrez_id,
        ensembl_id=gene.ensembl_id, aliases=gene.aliases + gene.previous_symbols, gene_groups=gene.gene_groups,
        functions=functions, processes=processes, pathways=pathways, components=components,
        categories=_categories(gene.symbol, direct, terms, graph, " ".join(functions + processes + pathways + components)),
        diseases=diseases[:MAX_DISEASES],
        experiments=dict(Counter(e.assay for e in experiments)),
        experiment_biosamples=[b for b, _ in Counter(e.biosample for e in experiments).most_common(3)],
        summary=summary or None,
        records=[gene_record_id(gene)] + [t.go_id for t in direct] + disease_ids[:MAX_DISEASES],
    )


# ---------------------------------------------------------------- deterministic composition

def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _arm(band: str) -> str:
    match = re.match(r"(?:\d{1,2}|X|Y)([pq])", band)
    return {"p": "short (p) arm", "q": "long (q) arm"}[match.group(1)] if match else ""


class FactSentence(BaseModel):
    fact: str = Field(description="which packet field the sentence states")
    text: str
    terms: list[str] = Field([], description="the packet values it names")


def fact_sentences(packet: FactsPacket) -> list[FactSentence]:
    """One sentence per fact the packet holds, in the order of a RefSeq-style summary."""
    symbol, coding = packet.symbol, packet.is_protein_coding
    kind = locus_phrase(packet)
    article = "an" if kind[0] in "aeiou" else "a"
    place = ""
    if packet.cytoband and _arm(packet.cytoband):
        place = f", located on the {_arm(packet.cytoband)} of chromosome {packet.chromosome} at band {packet.cytoband}"
    elif packet.chromosome:
        place = f", located on chromosome {packet.chromosome}"
    sentences = [FactSentence(fact="identity", text=f"{symbol} ({packet.name or symbol}) is {article} {kind}{place}.",
                              terms=[symbol])]
    product = "The encoded protein" if coding else "Its product"
    if packet.gene_groups:
        families = [g for g in packet.gene_groups if re.search(r"famil", g, re.IGNORECASE)]
        if families:
            noun = "This gene encodes a member of the" if coding else "This gene is a member of the"
            text = f"{noun} {_join(families)} (HGNC gene {'groups' if len(families) > 1 else 'group'})."
        else:
            text = (f"HGNC classifies it in the gene {'groups' if len(packet.gene_groups) > 1 else 'group'} "
                    f"{_join(packet.gene_groups)}.")
        sentences.append(FactSentence(fact="gene_groups", text=text, terms=families or packet.gene_groups))
    if packet.functions:
        sentences.append(FactSentence(fact="functions", text=f"{product} enables {_join(packet.functions)}.",
                                      terms=packet.functions))
    if packet.processes:
        sentences.append(FactSentence(fact="processes", text=f"It is involved in {_join(packet.processes)}.",
                                      terms=packet.processes))
    if packet.pathways:
        sentences.append(FactSentence(
            fact="pathways", text=f"In the Gene Ontology these processes belong to the broader pathways of "
                                  f"{_join(packet.pathways)}.", terms=packet.pathways))
    elif packet.processes and not any(_PATHWAY_TERM.search(p) for p in packet.processes):
        sentences.append(FactSentence(
            fact="pathways", text="The Gene Ontology places none of these processes within a named signaling or "
                                  "metabolic pathway."))
    elif not packet.processes:
        sentences.append(FactSentence(
            fact="pathways", text=f"No biological process or pathway is annotated to {symbol} in the Gene Ontology."))
    if packet.components:
        sentences.append(FactSentence(fact="components", text=f"{product} is located in {_join(packet.components)}.",
                                      terms=packet.components))
    if packet.diseases:
        sentences.append(FactSentence(
            fact="diseases", text=f"Mutations in this gene are associated with {_join(packet.diseases)} "
                                  f"(ClinVar and HPO).", terms=packet.diseases))
    if packet.experiments:
        assays = _join([f"{n} {assay}" for assay, n in sorted(packet.experiments.items())])
        where = f" in {_join(packet.experiment_biosamples)}" if packet.experiment_biosamples else ""
        sentences.append(FactSentence(fact="experiments",
                                      text=f"ENCODE profiled the binding of its protein in {assays} experiments{where}.",
                                      terms=list(packet.experiments)))
    if packet.categories:  # last: the broad classes say least about this one gene
        sentences.append(FactSentence(fact="categories", text=f"In the generic GO slim its annotation falls mainly "
                                                              f"under {_join(packet.categories)}.",
                                      terms=packet.categories))
    return sentences


# Facts stated after a RefSeq summary, which seldom names the GO processes, pathways or ClinVar conditions.
AFTER_SUMMARY = ("processes", "pathways", "diseases")


def compose(packet: FactsPacket) -> str:
    """The deterministic description: the RefSeq summary when the graph has one, then the facts as prose."""
    sentences = fact_sentences(packet)
    if packet.summary:  # the curated text says function best; identity first, then what it may leave out
        return " ".join([sentences[0].text, packet.summary] + [s.text for s in sentences[1:] if s.fact in AFTER_SUMMARY])
    return " ".join(s.text for s in sentences)


# ---------------------------------------------------------------- checking a draft

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9\-]+")
_SYMBOL_LIKE = re.compile(r"\b[A-Z][A-Z0-9]*\d[A-Z0-9]*\b|\b[A-Z]{3,}[0-9]*[A-Z]?\b")
_IDENTIFIER = re.compile(r"\bHGNC:\s?\d+|\bENS[GTP]\d{6,}|\b(?:OMIM|MIM|Entrez|Gene ID)[:#\s]*\d+|\b\d{4,}\b")
_STOP = set("""a an the of in on at to for from by with and or as is are was were be been being this that these
those it its their which who whom whose also such than then into onto via within between among through
during including include includes including gene genes protein proteins encoded encodes encode
human role roles play plays played function functions functional involved involve involves
member members family families activity activities process processes regulation regulates
regulate regulating may can known found well other both either each several various many more most
one two three has have had not no its key important major cell cells cellular type types
located location level levels expression expressed form forms associated association""".split())  # noqa: SIM905
# A draft sentence must draw at least this share of its content words from the packet.
MIN_SUPPORT = 0.6
# A relation a sentence states of the gene (a process it takes part in, what it does or binds, where it is,
# what it belongs to, a condition it causes) and its object, up to the end of the clause.
_RELATION = re.compile(
    r"\b(?:involved in|participat\w* in|roles? in|required for|functions? (?:in|as)|acts? as|enables?|"
    r"catalyz\w*|mediat\w*|regulat\w*|promot\w*|inhibit\w*|production of|synthesis of|transport of|"
    r"binds?(?: to)?|binding (?:to|of)|interacts? with|located (?:in|at|on)|locali[sz]\w* (?:to|in|at)|found in|"
    r"expressed in|members? of|component of|part of|associated with|caus\w*|linked to|implicated in)\s+"
    r"(.+?)(?=;|\.\s|\.$|\b(?:which|where|while|whereas)\b|\band (?:is|are|it|its|has|have|may|can|also)\b|$)",
    re.IGNORECASE)
_LIST_SEPARATOR = re.compile(r",\s*(?:and |or )?|\s+(?:and|or|as well as)\s+")
# An object counts as held when one packet fact holds this share of its content words (all of two or three).
MIN_CLAIM_SUPPORT = 0.75


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ism", "es", "ed", "s", "al", "ic"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _content(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text) if w.lower() not in _STOP and len(w) > 2]


class SentenceCheck(BaseModel):
    sentence: str
    supported: bool
    reason: str = ""
    support: float = 0.0


def packet_facts(packet: FactsPacket) -> list[set[str]]:
    """The content words of each single fact of the packet (a name, a group, a GO term, a condition, a
    sentence of the summary): what one stated relation must be drawn from."""
    values = [packet.name or "", packet.symbol, locus_phrase(packet), *packet.gene_groups, *packet.functions,
              *packet.processes, *packet.pathways, *packet.components, *packet.categories, *packet.diseases,
              *packet.experiments, *packet.experiment_biosamples, *_SENTENCE.split(packet.summary or "")]
    return [words for words in (set(_content(v)) for v in values) if words]


def unsupported_claim(sentence: str, facts: list[set[str]]) -> str | None:
    """The first relation object of a sentence that no single packet fact holds ("involved in the production
    of carnitine" when the packet's carnitine facts are a metabolic process and an enzyme activity), or None.
    The words of a claim must come from one fact: scattered across the packet they state something new."""
    for match in _RELATION.finditer(sentence):
        for part in _LIST_SEPARATOR.split(match.group(1)):
            words = set(_content(part))
            if words and max((len(words & fact) / len(words) for fact in facts), default=0.0) < MIN_CLAIM_SUPPORT:
                return part.strip()
    return None


def check_sentence(sentence: str, packet: FactsPacket, vocabulary: set[str], packet_text: str,
                   facts: list[set[str]] | None = None) -> SentenceCheck:
    """Whether every claim of a drafted sentence is in the packet: no foreign gene symbol or identifier, most
    of its content words drawn from the packet, and each relation it states held by one packet fact."""
    names = {packet.symbol.upper(), *(a.upper() for a in packet.aliases)}
    upper_packet = packet_text.upper()
    for token in _SYMBOL_LIKE.findall(sentence):
        if token.upper() not in names and token.upper() not in upper_packet and token not in ("DNA", "RNA", "ATP"):
            return SentenceCheck(sentence=sentence, supported=False, reason=f"names {token}, which the facts lack")
    for identifier in _IDENTIFIER.findall(sentence):
        digits = re.sub(r"\D", "", identifier)
        if digits not in packet_text:
            return SentenceCheck(sentence=sentence, supported=False, reason=f"states {identifier}, not in the facts")
    words = _content(sentence)
    if not words:
        return SentenceCheck(sentence=sentence, supported=False, reason="says nothing about the gene")
    support = sum(w in vocabulary for w in words) / len(words)
    if support < MIN_SUPPORT:
        unsupported = sorted({w for w in words if w not in vocabulary})[:4]
        return SentenceCheck(sentence=sentence, supported=False, support=round(support, 2),
                             reason=f"claims not in the facts ({', '.join(unsupported)})")
    claim = unsupported_claim(sentence, packet_facts(packet) if facts is None else facts)
    if claim:
        return SentenceCheck(sentence=sentence, supported=False, support=round(support, 2),
                             reason=f"states '{claim}', which no fact holds")
    return SentenceCheck(sentence=sentence, supported=True, support=round(support, 2))


def _covered(fact: FactSentence, kept_text: str) -> bool:
    """Whether the kept draft already states a fact: every value the fact sentence names appears in it."""
    lower = kept_text.lower()
    return bool(fact.terms) and all(t.lower() in lower for t in fact.terms)


class GroundedDescription(BaseModel):
    symbol: str
    text: str
    packet: FactsPacket
    draft: str | None = None
    checks: list[SentenceCheck] = []
    corrections: list[Correction] = []
    records: list[str] = []


def ground_draft(draft: str, packet: FactsPacket, graph: Any) -> GroundedDescription:
    """Post-correct a model's draft against the graph, keep the sentences the packet supports, and add the
    deterministic sentence of every fact the kept text leaves unsaid. Each change is a `Correction`."""
    corrected = correct_text(draft, packet.symbol, graph)
    tidied, removals = tidy_draft(corrected.text)
    corrections = corrected.corrections + removals
    packet_text = packet.text()
    vocabulary = set(_content(packet_text))
    facts = packet_facts(packet)
    composed = fact_sentences(packet)
    summary_vocabulary = set(_content(packet.summary or ""))
    checks, kept = [], []
    for sentence in (s.strip() for s in _SENTENCE.split(tidied.strip()) if s.strip()):
        check = check_sentence(sentence, packet, vocabulary, packet_text, facts)
        checks.append(check)
        if not check.supported:
            corrections.append(Correction(field="unsupported_sentence", before=sentence, after="",
                                          source=f"facts packet: {check.reason}"))
        elif summary_vocabulary and set(_content(sentence)) <= summary_vocabulary | {_stem(packet.symbol)}:
            corrections.append(Correction(field="redundant_sentence", before=sentence, after="",
                                          source="facts packet: restates the RefSeq summary, which is given"))
        elif sentence[-1] not in ".!?":
            corrections.append(Correction(field="unfinished_sentence", before=sentence, after="",
                                          source="draft"))
        else:
            kept.append(sentence)
    identity, rest = composed[0], composed[1:]
    if packet.summary:
        rest = [s for s in rest if s.fact in AFTER_SUMMARY]
    body = " ".join(kept)
    added = [s for s in rest if not _covered(s, body)]
    for sentence in added:
        corrections.append(Correction(field=sentence.fact, before="", after=sentence.text,
                                      source="facts packet: a fact the draft left unsaid"))
    parts = [identity.text] + ([packet.summary] if packet.summary else []) + kept + [s.text for s in added]
    return GroundedDescription(symbol=packet.symbol, text=" ".join(parts), packet=packet, draft=draft,
                               checks=checks, corrections=corrections, records=packet.records)


def describe_gene(name: str, graph: Any, generator: Any | None = None,
                  max_new_tokens: int = DRAFT_TOKENS) -> GroundedDescription:
    """A grounded description of one gene: the model's draft from the facts packet, checked sentence by
    sentence; without a generator, the deterministic composition."""
    packet = facts_packet(name, graph)
    if generator is None:
        return GroundedDescription(symbol=packet.symbol, text=compose(packet), packet=packet, records=packet.records)
    draft = generator.generate(grounded_prompt(packet), max_new_tokens=max_new_tokens)
    return ground_draft(draft, packet, graph)


def grounded_prompt(packet: FactsPacket) -> str:
    return GROUNDED_PROMPT.format(symbol=packet.symbol, facts="\n".join(packet.prompt_lines()))
