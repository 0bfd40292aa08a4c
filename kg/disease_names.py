"""Condition names as people write them: every name and synonym of every condition, matched by weighted words.

Names are read as sets of normalised words: lower case, plural 's' dropped, roman numerals read as
numbers ('Ic' -> '1c', 'type VII' -> '7'), filler words ('type', 'due to', 'the') left out, so word order,
'type 1C' against 'Ic' and 'IIa' against '2a' do not matter. A word is worth its inverse document
frequency among all names (sharpened), so the rare words that tell conditions apart ('phosphofructokinase') count
for more than common ones ('anemia', 'disease'). A misspelt word counts as the closest known word.

Conditions form families by name: 'Proteasome-associated autoinflammatory syndrome 1' to '5', 'Renal tubular
acidosis, distal, autosomal dominant' and '... recessive', 'Hyperphenylalaninemia due to ...'. A name's head is
its leading words before a comma, bracket, 'due to' or 'with', less the numbering and inheritance around them;
a family name holds a member's head in full, and the member's name holds every word of the family name.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9",
          "x": "10", "xi": "11", "xii": "12", "xiii": "13", "xiv": "14", "xv": "15"}
_ROMAN_WITH_LETTER = re.compile(r"^(x{0,1}(?:ix|iv|v?i{0,3})|xi{1,3}|xiv|xv)([a-h]?)$")
FILLER = frozenset({"the", "a", "an", "of", "type", "due", "to", "with", "and", "or", "in", "by", "form", "s"})
# Word weight: inverse document frequency to this power. Sharper than plain idf, so the word that names the
# cause ('phosphofructokinase') outweighs the shared words of a family of names ('hemolytic anemia due to ...');
# chosen on the tuning half of `python -m evals.bench_disease_names` (1.0: 0.434, 1.5: 0.458, 2.0: 0.455 top 1).
WORD_WEIGHT_POWER = 1.5
# a word this close (rapidfuzz ratio) to a known word is read as that word
SPELLING_CUTOFF = 88
MIN_SPELLING_LENGTH = 5
# where a name's qualifiers begin: what follows tells members of one family apart
_QUALIFIERS = re.compile(r",|\(|\bdue to\b|\bwith\b|\bcaused by\b", re.IGNORECASE)
# words before a head that type a member ('X-linked' reads as '10 linked': the roman X)
_INHERITANCE = frozenset({"autosomal", "recessive", "dominant", "semidominant", "linked", "digenic", "susceptibility"})
# words after a head that number or type a member
_TYPING_WORDS = _INHERITANCE | {"type", "group", "complementation"}
_NUMBERING = re.compile(r"^(?:\d+[a-z]{0,2}|[a-z]|[a-z]{1,2}\d+[a-z]?)$")  # '2', '1c', '2dd', 'b', 'r6', 'b2'


def words_with_spans(text: str) -> list[tuple[str, int, int]]:
    """Normalised words of `text` and where each stands, filler included (callers that need spans)."""
    out = []
    for match in re.finditer(r"[a-z0-9]+", text.lower()):
        word = match.group(0)
        roman = _ROMAN_WITH_LETTER.match(word)
        if roman and roman.group(1) in _ROMAN:
            word = _ROMAN[roman.group(1)] + roman.group(2)
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append((word, match.start(), match.end()))
    return out


def name_words(text: str) -> frozenset[str]:
    return frozenset(w for w, _, _ in words_with_spans(text) if w not in FILLER)


def is_typing(word: str) -> bool:
    return word in _TYPING_WORDS or bool(_NUMBERING.match(word))


def head_words(name: str) -> frozenset[str]:
    """The words a condition shares with its family: 'Spinocerebellar ataxia, autosomal recessive 1' ->
    {spinocerebellar, ataxia}; 'Autosomal recessive limb-girdle muscular dystrophy type 2L' -> {limb, girdle,
    muscular, dystrophy}."""
    lead = _QUALIFIERS.split(name, maxsplit=1)[0]
    words = [w for w, _, _ in words_with_spans(lead) if w not in FILLER or w == "type"]
    while words and is_typing(words[-1]):
        words.pop()
    while words and (words[0] in _INHERITANCE or words[:2] == ["10", "linked"]):
        words.pop(0)
    return frozenset(w for w in words if w not in FILLER)


def _numbering(text: str) -> tuple[set[str], bool]:
    """The numbers and letters of a name ('2', '1C', the S of 'protein S'), and whether it ends in one; not the
    X of 'X-linked', the s of "Parkinson's" or the article 'a'."""
    words = words_with_spans(text)
    found, last = set(), False
    for k, (word, start, _) in enumerate(words):
        after = words[k + 1][0] if k + 1 < len(words) else ""
        possessive = text[start - 1:start] == "'"
        last = bool(_NUMBERING.match(word)) and not possessive and (word, after) != ("10", "linked") and \
            not (word == "a" and after) and (word not in FILLER or len(word) == 1)
        if last:
            found.add(word)
    return found, last


@dataclass(frozen=True)
class NameMatch:
    disease_id: str
    name: str  # the name or synonym matched
    primary_name: str  # the condition's own name
    score: float


class DiseaseNameIndex:
    """Every (condition, name) pair, searchable by weighted word overlap."""

    def __init__(self, names: list[tuple[str, str]]):
        """`names`: (condition id, name) pairs; a condition's first name is its own, the rest synonyms."""
        self.names = [(disease_id, name, name_words(name)) for disease_id, name in names]
        self.primary: dict[str, str] = {}
        for disease_id, name in names:
            self.primary.setdefault(disease_id, name)
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for i, (_, _, words) in enumerate(self.names):
            for word in words:
                self.by_word[word].append(i)
        total = len(self.names) or 1
        self.idf = {w: math.log(1 + total / len(ids)) ** WORD_WEIGHT_POWER for w, ids in self.by_word.items()}
        self._spelling = [w for w in self.by_word if len(w) >= MIN_SPELLING_LENGTH]
        self.heads = [head_words(name) for _, name, _ in self.names]

    def _known(self, word: str) -> str | None:
        if word in self.by_word:
            return word
        if len(word) < MIN_SPELLING_LENGTH or word.isdigit():
            return None
        hit = process.extractOne(word, self._spelling, scorer=fuzz.ratio, score_cutoff=SPELLING_CUTOFF)
        return hit[0] if hit else None

    def _query_words(self, text: str) -> set[str]:
        return {self._known(w) or w for w in name_words(text)}

    def family(self, text: str) -> list[str]:
        """The conditions a family name stands for, in index order: each with a name that holds every word of
        `text` and whose head `text` names in full ('Distal renal tubular acidosis' holds 'Renal tubular
        acidosis, distal, autosomal dominant' and 'Distal renal tubular acidosis 3'). A number or letter in
        `text` that is not part of a head, or that ends it, numbers a member ('X type 2', 'X 1C', 'Hepatitis B',
        'Protein S deficiency'): such a name stands for that member only, and its family is empty; so is a
        family of one name."""
        query = self._query_words(text)
        numbering, numbered = _numbering(text)
        if not query or numbered or any(w not in self.by_word for w in query):
            return []
        rarest = min(query, key=lambda w: len(self.by_word[w]))
        members: dict[str, None] = {}
        for i in self.by_word[rarest]:
            disease_id, _, words = self.names[i]
            if self.heads[i] and numbering <= self.heads[i] <= query <= words:
                members.setdefault(disease_id)
        # one condition recorded by ClinVar and by HPO under one name is not a family
        return list(members) if len({self.primary[i].lower() for i in members}) > 1 else []

    def search(self, text: str, limit: int = 10, min_score: float = 0.5) -> list[NameMatch]:
        """Names that share weighted words with `text`, best first. The score is the harmonic mean of how
        much of the query's weight the name explains and how much of the name's weight the query names."""
        query = self._query_words(text)
        if not query:
            return []
        unseen = math.log(1 + len(self.names)) ** WORD_WEIGHT_POWER  # a word no name has: rarest of all
        query_weight = sum(self.idf.get(w, unseen) for w in query)
        shared_weight: dict[int, float] = defaultdict(float)
        for word in query:
            for i in self.by_word.get(word, ()):
                shared_weight[i] += self.idf[word]
        best: dict[str, NameMatch] = {}
        for i, shared in shared_weight.items():
            disease_id, name, words = self.names[i]
            precision = shared / query_weight
            recall = shared / sum(self.idf[w] for w in words)
            score = round(2 * precision * recall / (precision + recall), 3)
            if score >= min_score and (disease_id not in best or score > best[disease_id].score):
                best[disease_id] = NameMatch(disease_id, name, self.primary[disease_id], score)
        return sorted(best.values(), key=lambda m: (-m.score, len(m.name), m.name))[:limit]
