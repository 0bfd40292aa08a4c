"""Mentions a question makes beyond genes, diseases and omics terms, each tied to the graph's own vocabulary:
HGNC gene groups and annotated cell types by name, the fields and kinds of record the schema declares (by
their names and `words`), genomic positions, distances and counts ('top 5'). Matching is by runs of words
against the vocabularies, longest first, so it holds for phrasings nobody wrote down."""

import re
from functools import lru_cache

from pydantic import BaseModel
from rapidfuzz import fuzz, process

from kg.schema import schema
from tools.query.plan import field_words, kind_name, kinds, plural

Span = tuple[int, int]


class Mentions(BaseModel):
    go_terms: list[tuple[str, str, Span]] = []  # GO id, name
    gene_groups: list[tuple[str, Span]] = []
    cell_types: list[tuple[str, Span]] = []
    tissues: list[tuple[str, Span]] = []  # tissues of the annotated cell types ('PBMC', 'Lung')
    fields: list[tuple[str, Span]] = []  # phrases naming a field of some kind (looked up per kind later)
    nouns: list[tuple[str, Span]] = []  # kinds of record named: 'genes', 'conditions', 'cell types'
    positions: list[tuple[str, int, Span]] = []  # chromosome, 1-based position
    distance: tuple[int, Span] | None = None
    number: tuple[int, Span] | None = None  # N of 'top N', 'the 5 longest'


_WORD = re.compile(r"[A-Za-z0-9][\w\-+/']*")
LONGEST = 10


def _words(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(text)][:400]


def _runs(words: list[tuple[str, int, int]], longest: int = LONGEST):
    """Runs of words, longest first: (start index, size)."""
    for size in range(min(longest, len(words)), 0, -1):
        for i in range(len(words) - size + 1):
            yield i, size


def _free(span: Span, taken: list[Span]) -> bool:
    return all(span[1] <= s or span[0] >= e for s, e in taken)


def _plain(text: str) -> str:
    from tools.query.bind import _plain as plain

    return plain(text)


@lru_cache(maxsize=4)
def _names(graph, kind: str) -> dict[str, str]:
    """Plain form -> name for gene groups, cell types (names and Cell Ontology names) or their tissues."""
    if kind == "tissue":
        rows = graph.store.run("MATCH (c:CellType) WHERE c.tissue IS NOT NULL RETURN DISTINCT c.tissue AS tissue")
        return {_plain(r["tissue"]): r["tissue"] for r in rows}
    if kind == "gene_group":
        rows = graph.store.run("MATCH (g:GeneGroup) RETURN g.name AS name")
        return {_plain(r["name"]): r["name"] for r in rows}
    rows = graph.store.run("MATCH (c:CellType) RETURN c.name AS name, c.ontology_name AS ontology")
    names: dict[str, str] = {}
    for r in rows:
        for name in (r["name"], r["ontology"]):
            if name and len(name) > 2:
                names.setdefault(_plain(name), name)
    return names


_GENERIC = {"gene", "genes", "cell", "cells", "group", "groups", "family", "the", "of", "type", "protein", "proteins"}
# words a name does not start or end with here: 'genes of memory B cells' names the cell type 'memory B cells'
_EDGE = {"gene", "genes", "of", "the", "a", "an", "in", "for", "marker", "markers", "and", "or", "with", "from", "by",
         "which", "what", "is", "are", "list", "show", "name"}


def _vocabulary_runs(text: str, words, names: dict[str, str], taken: list[Span], min_words: int = 1,
                     fuzzy: bool = True, form=None) -> list[tuple[str, Span]]:
    found: list[tuple[str, Span]] = []
    keys = list(names)
    for i, size in _runs(words):
        span = (words[i][1], words[i + size - 1][2])
        if not _free(span, taken + [s for _, s in found]):
            continue
        chunk = [w for w, _, _ in words[i:i + size]]
        if size < min_words or all(w.lower() in _GENERIC for w in chunk) or (size == 1 and len(chunk[0]) < 3) \
                or chunk[0].lower() in _EDGE or chunk[-1].lower() in _EDGE:
            continue
        key = (form or _plain)(" ".join(chunk))
        if key in names:
            found.append((names[key], span))
        elif fuzzy and size >= 3 and len(key) >= 12:
            hit = process.extractOne(key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=92)
            if hit:
                found.append((names[hit[0]], span))
    return found


@lru_cache(maxsize=1)
def _field_phrases() -> dict[str, set[str]]:
    """Lower-case phrase -> fields it may name, over every kind."""
    phrases: dict[str, set[str]] = {}
    for kind in kinds().values():
        for phrase, field in field_words(kind).items():
            phrases.setdefault(phrase, set()).add(field)
    return phrases


@lru_cache(maxsize=1)
def _noun_phrases() -> dict[str, str]:
    """'genes' -> 'gene', 'conditions' -> 'disease', 'cell types' -> 'cell_type'."""
    nouns: dict[str, str] = {}
    for table in schema().values():
        if table.is_node and table.askable:
            for word in (*table.words, kind_name(table.label).replace("_", " ")):
                nouns.setdefault(word.lower(), kind_name(table.label))
                nouns.setdefault(plural(word.lower()), kind_name(table.label))
    return nouns


# Words a field's name may carry or lack: 'former gene symbols' names what 'former symbols' does.
_OPTIONAL = {"gene", "genes", "hgnc", "the", "its", "their", "official's"}


def _word_form(word: str) -> str:
    """Lower case, plural and possessive dropped: 'Symbols' -> 'symbol', 'families' -> 'family'."""
    word = word.lower().removesuffix("'s")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _form(phrase: str) -> tuple[str, ...]:
    return tuple(w for w in (_word_form(w) for w in re.findall(r"[\w\-+/']+", phrase)) if w not in _OPTIONAL)



@lru_cache(maxsize=2)
def _phrase_index(nouns: bool) -> tuple[dict[tuple[str, ...], str], frozenset[str]]:
    """Normalised phrase -> the phrase as the vocabulary writes it, and the words of all phrases. A phrase is
    found with its optional words or without them, unless that would make it another field's phrase."""
    vocabulary = _noun_phrases() if nouns else _field_phrases()
    index: dict[tuple[str, ...], str] = {}
    reduced: dict[tuple[str, ...], set[str]] = {}
    for phrase in sorted(vocabulary, key=len):
        full = tuple(_word_form(w) for w in re.findall(r"[\w\-+/']+", phrase))
        index.setdefault(full, phrase)
        if not nouns and (form := _form(phrase)) and form != full:
            reduced.setdefault(form, set()).add(phrase)
    for form, phrases in reduced.items():
        too_vague = len(form) == 1 and (len(form[0]) < 5 or form[0] in {"type", "group", "family", "number"})
        if form not in index and not too_vague and len({frozenset(vocabulary[p]) for p in phrases}) == 1:
            index[form] = min(phrases, key=len)
    return index, frozenset(w for form in index for w in form)


def _phrases(text: str, words, nouns: bool, taken: list[Span]) -> list[tuple[str, Span]]:
    """Runs of words naming a field (or, with `nouns`, a kind of record), as the vocabulary writes them; plural,
    case, optional words ('former gene symbols') and small misspellings ('preivous') aside."""
    index, known = _phrase_index(nouns)
    forms = []
    for w, _, _ in words:
        form = _word_form(w)
        if form not in known and len(form) >= 5 and form.isalpha() and w.islower():
            # a misspelling keeps its first letter and its length, give or take one
            hit = process.extractOne(form, [k for k in known if k[0] == form[0] and abs(len(k) - len(form)) <= 1],
                                     scorer=fuzz.ratio, score_cutoff=80)
            form = hit[0] if hit else form
        forms.append(form)
    found = []
    for i, size in _runs(words, 5):
        run = tuple(forms[i:i + size])
        span = (words[i][1], words[i + size - 1][2])
        if not _free(span, taken + [s for _, s in found]):
            continue
        if run in index:
            found.append((index[run], span))
        elif not nouns and run[0] not in _OPTIONAL and run[-1] not in _OPTIONAL:
            key = tuple(f for f in run if f not in _OPTIONAL)
            if key != run and key in index:
                found.append((index[key], span))
    return sorted(found, key=lambda f: f[1])


_POSITION = re.compile(r"\bchr(?:omosome)?\s*(\d{1,2}|X|Y|MT?)\s*[:]\s*([\d,]{3,})(?![\d,])(?!\s*[-–]\s*\d)|"
                       r"\bposition\s+([\d,]{3,})(?![\d,])\s+(?:on|of)\s+chr(?:omosome)?\s*(\d{1,2}|X|Y|MT?)\b|"
                       r"\bchr(?:omosome)?\s*(\d{1,2}|X|Y|MT?)\s*,?\s+(?:at\s+)?(?:position|base|bp|coordinate)\s+"
                       r"([\d,]{3,})(?![\d,])", re.IGNORECASE)
_DISTANCE = re.compile(r"\b(\d+(?:\.\d+)?)\s*(kb|kbp|mb|mbp|bp|kilobases?|megabases?|base pairs?)\b", re.IGNORECASE)
_NUMBER = re.compile(r"\btop[- ]?(\d{1,3})\b|\b(\d{1,3})\s+(?:most|least|largest|longest|shortest|smallest|biggest|"
                     r"highest|lowest|best|fewest|nearest|closest)\b|"
                     r"\b(?:the|list|name|show|give|which|what|find|return)\s+(\d{1,3})\s+(?!bp\b|kb\b|mb\b)[a-z]",
                     re.IGNORECASE)
_UNIT = {"kb": 1_000, "kbp": 1_000, "mb": 1_000_000, "mbp": 1_000_000, "bp": 1, "kilobase": 1_000,
         "kilobases": 1_000, "megabase": 1_000_000, "megabases": 1_000_000, "base pair": 1, "base pairs": 1}


_ONE_WORD_GROUP = re.compile(r"\b([A-Z][\w\-]+)\s+(?:genes|family|group|members)\b|"
                             r"\b(?:group|family)\s+['\"]?([A-Z][\w\-]+)\b")
_GO_CUE = re.compile(r"\b(?:annotated (?:with|to)|involved in|GO (?:term|process|function|component)|participat\w* in|"
                     r"functions? in|roles? in)\s+['\"]?([A-Za-z][\w\-]+)\b", re.IGNORECASE)


@lru_cache(maxsize=4)
def _single_go_names(graph) -> dict[str, str]:
    """GO term names of one word ('keratinization'), lower-cased."""
    return {name.lower(): name for name in graph.go_term_names().values() if len(name.split()) == 1}


def _ordered(text: str) -> str:
    """A name's words in order, lower case, plural 's' dropped: GO names are read in order ('X chromosome' is a
    GO term, 'chromosome X' is not)."""
    return " ".join(_word_form(w) for w in re.findall(r"[^\W_]+(?:[\-/,'][^\W_]+)*", text.lower()))


@lru_cache(maxsize=4)
def _go_names(graph) -> dict[str, str]:
    """Ordered form -> GO term name, for names of two or more words."""
    return {_ordered(name): name for name in graph.go_term_names().values() if len(name.split()) >= 2}


def link_names(question: str, graph) -> Mentions:
    """Names of several words from the graph's vocabularies (quoted or not): gene groups, annotated cell types
    with their tissues, GO terms. They are linked before genes, so that 'ATP' in 'Mitochondrial complex V: ATP
    synthase subunits' or 'TORC1' in 'positive regulation of TORC1 signaling' is read as part of the name;
    where two names overlap, the longer wins."""
    words = _words(question)
    mentions = Mentions()
    groups, cells, go = _names(graph, "gene_group"), _names(graph, "cell_type"), _go_names(graph)
    quoted = [(m.group(1), m.span(1)) for m in re.finditer(r"['\"“‘]([^'\"”’]{3,120})['\"”’]", question)]
    for text, span in quoted:  # a quoted name is one name, matched whole
        if _plain(text) in groups:
            mentions.gene_groups.append((groups[_plain(text)], span))
        elif _ordered(text) in go:
            mentions.go_terms.append(("", go[_ordered(text)], span))
    taken = [s for _, s in mentions.gene_groups] + [s for _, _, s in mentions.go_terms]
    candidates = [("gene_group", name, span) for name, span in _vocabulary_runs(question, words, groups, taken, 2)]
    candidates += [("cell_type", name, span) for name, span in _vocabulary_runs(question, words, cells, taken)]
    candidates += [("go_term", name, span) for name, span in _vocabulary_runs(question, words, go, taken, 2,
                                                                              fuzzy=False, form=_ordered)]
    for m in _ONE_WORD_GROUP.finditer(question):  # 'Neuropeptides genes', 'the Cadherins family'
        word = m.group(1) or m.group(2)
        if _plain(word) in groups and len(word) >= 6:
            span = m.span(1) if m.group(1) else m.span(2)
            candidates.append(("gene_group", groups[_plain(word)], span))
    for kind, name, span in sorted(candidates, key=lambda c: c[2][0] - c[2][1]):  # longest first
        if _free(span, taken):
            taken.append(span)
            if kind == "gene_group":
                mentions.gene_groups.append((name, span))
            elif kind == "cell_type":
                mentions.cell_types.append((name, span))
            else:
                mentions.go_terms.append(("", name, span))
    for m in _GO_CUE.finditer(question):  # 'annotated with keratinization': a GO term of one word
        single = _single_go_names(graph).get(m.group(1).lower())
        if single and _free(m.span(1), taken):
            mentions.go_terms.append(("", single, m.span(1)))
            taken.append(m.span(1))
    tissues = _names(graph, "tissue")
    if len(mentions.cell_types) > 1:  # 'Salivary Gland endothelial cell': the tissue and its cell type
        named_tissues = [(n, s) for n, s in mentions.cell_types if _plain(question[s[0]:s[1]]) in tissues]
        if len(named_tissues) < len(mentions.cell_types):
            mentions.cell_types = [c for c in mentions.cell_types if c not in named_tissues]
            mentions.tissues = [(tissues[_plain(question[s[0]:s[1]])], s) for _, s in named_tissues]
    if mentions.cell_types:
        mentions.tissues += _vocabulary_runs(question, words, tissues, taken, fuzzy=False)
    by_name = _go_ids(graph)
    mentions.go_terms = [(by_name[name], name, span) for _, name, span in mentions.go_terms]
    return mentions


@lru_cache(maxsize=4)
def _go_ids(graph) -> dict[str, str]:
    return {name: go_id for go_id, name in graph.go_term_names().items()}


def name_spans(mentions: Mentions) -> list[Span]:
    return [s for _, s in mentions.gene_groups + mentions.cell_types + mentions.tissues] + \
        [s for _, _, s in mentions.go_terms]


def link_mentions(question: str, graph, taken: list[Span], names: Mentions | None = None) -> Mentions:
    """Mentions outside the spans already `taken` by genes, diseases and the like; `names` are the names of
    several words linked before them (`link_names`)."""
    words = _words(question)
    mentions = names.model_copy(deep=True) if names is not None else Mentions()
    for m in _POSITION.finditer(question):
        chromosome, position = ((m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3)) if m.group(4)
                                else (m.group(5), m.group(6)))
        mentions.positions.append((chromosome.upper(), int(position.replace(",", "")), m.span()))
    if m := _DISTANCE.search(question):
        mentions.distance = (round(float(m.group(1)) * _UNIT[m.group(2).lower()]), m.span())
    if m := _NUMBER.search(question):
        group = next(i for i, g in enumerate(m.groups(), start=1) if g)
        mentions.number = (int(m.group(group)), m.span(group))
    spans = taken + [p[2] for p in mentions.positions] + ([mentions.distance[1]] if mentions.distance else []) + \
        name_spans(mentions)
    mentions.fields = _phrases(question, words, False, spans)
    mentions.nouns = _phrases(question, words, True, spans)
    return mentions


_LOWER_WORD = re.compile(r"\b[a-z]{6,}\b")


def respell(question: str, known: frozenset[str]) -> str:
    """Misspelt lower-case words put right by the nearest word of `known` that keeps their first letter and
    their length give or take one ('chromosmoe' -> 'chromosome'), so that the patterns and vocabularies that
    read the question see the words they know."""
    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if word in known or _word_form(word) in known:
            return word
        close = [k for k in known if k[0] == word[0] and abs(len(k) - len(word)) <= 1]
        hit = process.extractOne(word, close, scorer=fuzz.ratio, score_cutoff=80)
        return hit[0] if hit else word
    return _LOWER_WORD.sub(fix, question)


@lru_cache(maxsize=1)
def phrase_words() -> frozenset[str]:
    """The words of every field and kind phrase."""
    return _phrase_index(False)[1] | _phrase_index(True)[1] | {w for p in _field_phrases() for w in p.split()}


def noun_kind(phrase: str) -> str:
    return _noun_phrases()[phrase]


def fields_of(phrase: str) -> set[str]:
    return _field_phrases().get(phrase, set())
