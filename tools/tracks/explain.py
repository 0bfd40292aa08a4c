"""From findings to language.

`describe` writes a deterministic explanation that states only what the findings hold: every
biosample, mark and number in it comes from a finding. `rewrite` asks a language model for a
friendlier paragraph and `check_against_findings` then drops each sentence that names a
biosample or mark the findings lack, or carries a number no finding has.
"""

import re

from pydantic import BaseModel

from tools.tracks.catalog import TrackInfo, assay_label
from tools.tracks.findings import ACTIVITY_CLASSES, Findings, MarkSignal


def number(value: float) -> str:
    """How findings' numbers are printed: integers with thousands separators, floats as stored."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"


def _signed(value: int) -> str:
    return f"+{value:,}" if value > 0 else f"{value:,}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _mark_fold(g: MarkSignal) -> str:
    return f"{g.mark} {number(g.fold)}-fold"


def describe(findings: Findings) -> str:
    """The deterministic explanation of `findings`, one paragraph."""
    f = findings
    source = "Enformer predictions" if f.kind == "predicted" else "Observed signal"
    where = f"around {f.gene}" if f.gene else "around the window centre"
    place = []
    if f.chromosome and f.tss is not None:
        place.append(f"{'TSS' if f.gene else 'centre'} {f.chromosome}:{number(f.tss)}")
    elif f.gene:
        place.append("TSS at the centre of the given sequence")
    if f.strand:
        place.append(f"{f.strand} strand")
    if f.assembly:
        place.append(f.assembly)
    anchor = "TSS" if f.gene else "centre"
    sentences = [
        f"{source} {where}" + (f" ({', '.join(place)})" if place else "")
        + f": {number(f.n_bins)} bins of {number(f.bin_size)} bp over {number(f.n_tracks)} tracks."
    ]
    n_active = f.n_active_tracks
    region = f"the promoter ({anchor} ± {number(f.promoter_bp)} bp)" if f.gene else f"the {anchor} (± {number(f.promoter_bp)} bp)"
    if n_active == 0:
        sentences.append(f"No track is at least {number(f.min_fold)}-fold above its flanking background at {region}.")
    else:
        by_assay = ", ".join(f"{assay_label(a)} {number(n)}" for a, n in f.active_tracks.items() if n)
        sentences.append(
            f"At {region}, {number(n_active)} tracks ({by_assay}) are at least {number(f.min_fold)}-fold above "
            f"their flanking background, in {number(f.n_active_biosamples)} biosamples."
        )
    if f.biosamples:
        shown = "" if len(f.biosamples) == f.n_active_biosamples else f" (top {number(len(f.biosamples))})"
        ranked = []
        for rank in f.biosamples:
            marks = [_mark_fold(g) for g in f.promoter if g.biosample == rank.biosample]
            noun = "mark" if rank.n_marks == 1 else "marks"
            ranked.append(f"{number(rank.rank)}. {rank.biosample} ({number(rank.n_marks)} {noun}: {', '.join(marks)})")
        sentences.append(f"Biosamples ranked by the number of marks enriched there{shown}: {'; '.join(ranked)}.")
    for agreement in f.agreement:
        if agreement.agree:
            evidence = [c for c in agreement.classes if c in ACTIVITY_CLASSES]
            sentences.append(
                f"In {agreement.biosample}, {_join(evidence)} agree at the {'promoter' if f.gene else anchor} "
                f"({_join(agreement.marks)})."
            )
    if f.gene_body:
        found = [f"{_mark_fold(g)} in {g.biosample}" for g in f.gene_body]
        sentences.append(f"Over the gene body, these marks are above background: {'; '.join(found)}.")
    if f.peaks:
        described = []
        for p in f.peaks:
            at = f" at {f.chromosome}:{number(p.position)}" if p.position is not None and f.chromosome else ""
            described.append(
                f"{p.mark} in {p.biosample}{at} ({_signed(p.offset_from_tss)} bp from the {anchor}, {p.location}), "
                f"height {number(p.height)}, {number(p.fold)}-fold, {number(p.width_bp)} bp wide"
            )
        sentences.append(f"Strongest peaks: {'; '.join(described)}.")
    return " ".join(sentences)


REWRITE_SYSTEM = (
    "You explain genomics results to biologists. Rewrite the facts you are given as one short, clear "
    "paragraph. Use only those facts: add no cell types, tissues, histone marks, factors or numbers."
)


def rewrite(text: str, llm) -> str:
    """A language model's rewording of the deterministic explanation (to be checked before use)."""
    return llm.generate(f"Facts:\n{text}\n\nParagraph:", system=REWRITE_SYSTEM)


class CheckedText(BaseModel):
    text: str
    dropped: list[str]


_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?![\w])")
HISTONE_MARK = re.compile(r"(?<!\w)H[234][AB]?(?:\.Z)?K\d+(?:ac|me[123])?(?!\w)")
_ASSAY_WORDS = re.compile(r"(?<!\w)(DNase|ATAC|CAGE)(?:-seq)?(?!\w)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


def _names_pattern(names: set[str], flags: int = 0) -> re.Pattern | None:
    names = {n for n in names if n.strip()}
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", flags)


def _finding_numbers(findings: Findings) -> list[float]:
    values: list[float] = []

    def walk(item) -> None:
        if isinstance(item, bool):
            return
        if isinstance(item, (int, float)):
            values.append(float(item))
        elif isinstance(item, dict):
            for v in item.values():
                walk(v)
        elif isinstance(item, list):
            for v in item:
                walk(v)

    walk(findings.model_dump())
    return values


def check_against_findings(text: str, findings: Findings, tracks: list[TrackInfo]) -> CheckedText:
    """Keep the sentences of `text` whose biosamples, marks and numbers all appear in `findings`;
    `tracks` supplies every biosample and mark name that could be mentioned."""
    allowed_biosamples = {b.lower() for b in findings.biosample_names()}
    allowed_marks = findings.mark_names() | ({findings.gene} if findings.gene else set())
    known_biosamples = _names_pattern({t.biosample for t in tracks}, re.IGNORECASE)
    known_marks = _names_pattern({t.mark for t in tracks if t.assay == "CHIP"} - {findings.gene or ""})
    allowed_pattern = _names_pattern(findings.biosample_names(), re.IGNORECASE)
    numbers = _finding_numbers(findings)

    def biosample_ok(name: str) -> bool:
        name = name.lower()
        return name in allowed_biosamples or any(name in allowed for allowed in allowed_biosamples)

    def number_ok(token: str) -> bool:
        value = float(token.replace(",", ""))
        return any(abs(value - v) <= max(0.01, 0.005 * abs(v)) for v in numbers)

    def sentence_ok(sentence: str) -> bool:
        if known_biosamples and not all(biosample_ok(m.group()) for m in known_biosamples.finditer(sentence)):
            return False
        marks = [m.group() for m in HISTONE_MARK.finditer(sentence)]
        marks += known_marks.findall(sentence) if known_marks else []
        marks += [{"dnase": "DNase", "atac": "ATAC", "cage": "CAGE"}[m.lower()]
                  for m in _ASSAY_WORDS.findall(sentence)]
        if any(mark not in allowed_marks for mark in marks):
            return False
        plain = allowed_pattern.sub(" ", sentence) if allowed_pattern else sentence
        plain = HISTONE_MARK.sub(" ", plain)
        return all(number_ok(token) for token in _NUMBER.findall(plain))

    kept, dropped = [], []
    for sentence in _SENTENCE_END.split(text.strip()):
        (kept if sentence_ok(sentence) else dropped).append(sentence)
    return CheckedText(text=" ".join(kept), dropped=dropped)
