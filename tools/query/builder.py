"""A compositional, parameterised query builder: a question's linked terms become a `QuerySpec` (what is
counted or listed, over which records, with which filters, set operations and aggregation), and the spec
becomes one read-only Cypher query. No value from the question is ever spliced into the query text."""

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from kg.errors import GeneverseError
from tools.query.vocabulary import TRACK_ASSAY, OmicsTerms

Base = Literal["genes", "experiments", "tracks"]
Subject = Literal["genes", "experiments", "tracks", "biosamples", "targets", "assays", "diseases", "chromosomes"]

_SUBJECT_WORDS: list[tuple[str, Subject]] = [
    (r"genes?|loci|locus|pseudogenes?|micro-?RNAs?|miRNAs?|lncRNAs?|ncRNAs?|[a-z]*RNA genes?", "genes"), (r"experiments?|datasets?|profiles?", "experiments"),
    (r"tracks?|outputs?", "tracks"),
    (r"biosamples?|samples?|cell lines?|cell types?|cells?|tissues?|organs?", "biosamples"),
    (r"targets?|transcription factors?|tfs?|factors?|(?:histone )?marks?|proteins?|antibod(?:y|ies)", "targets"),
    (r"assays?|assay types?|technolog(?:y|ies)", "assays"), (r"diseases?|conditions?|disorders?|phenotypes?", "diseases"),
    (r"chromosomes?", "chromosomes"),
]
_ASKING = (r"\b(?:which|what|list|show|name|give|find|return|report|enumerate|count|how many|number of|top \d+|"
           r"(?:the )?\d+ most|are there)\s+(?:(?:me|the|all|of|distinct|different|unique|[\w\-]+)\s+){0,4}?")
_SUBJECT = re.compile(_ASKING + r"(?P<noun>" + "|".join(f"(?:{w})" for w, _ in _SUBJECT_WORDS) + r")\b",
                      re.IGNORECASE)
_HISTONE = "h[1-4][a-z0-9]*k[0-9].*|h2a.*|h2b.*"


class NotInData(GeneverseError):
    """The question asks for an assay or target that the graph's data does not hold."""

    def __init__(self, missing: list[str]):
        super().__init__(
            f"The data holds no {', '.join(dict.fromkeys(missing))}: the graph has ENCODE ChIP-seq, DNase-seq and "
            "RNA-seq experiments and Enformer ChIP-seq, DNase-seq, ATAC-seq and CAGE tracks; nothing was queried.")


class QuerySpec(BaseModel):
    base: Base = Field(description="the records filtered: genes, ENCODE experiments or Enformer tracks")
    subject: Subject = Field(description="what the answer is made of")
    aggregate: Literal["list", "count", "top"] = "list"
    limit: int | None = Field(None, description="N of a top-N or 'most' question")
    terms: OmicsTerms
    disease: str | None = Field(None, description="lower-cased disease name joined to genes")


_ANY_SUBJECT = re.compile(r"\b(?P<noun>" + "|".join(f"(?:{w})" for w, _ in _SUBJECT_WORDS) + r")\b", re.IGNORECASE)


def _subject(question: str) -> Subject | None:
    """The noun the question asks for: after 'which', 'how many', 'list' ..., else the first one it names."""
    m = _SUBJECT.search(question) or _ANY_SUBJECT.search(question)
    if m is None:
        return None
    noun = m.group("noun").lower()
    return next(subject for words, subject in _SUBJECT_WORDS if re.fullmatch(words, noun, re.IGNORECASE))


def plan(question: str, terms: OmicsTerms, disease: str | None = None) -> QuerySpec | None:
    """What to query for the question, or None when it names nothing the builder can filter on."""
    if terms.missing:
        raise NotInData(terms.missing)
    q = question.lower()
    subject = _subject(question)
    aggregate: Literal["list", "count", "top"] = "list"
    limit = None
    if top := re.search(r"\btop[- ](\d+)\b|\b(\d+) (?:most|largest|biggest)\b|"
                        r"\b(?:which|what|the|list|name)\s+(\d+)\b[^?]*\bmost\b", q):
        aggregate, limit = "top", int(top.group(1) or top.group(2) or top.group(3))
    elif re.search(r"\bmost\b|\bhighest number\b|\blargest number\b|\bgreatest number\b|\bmaximum number\b", q):
        aggregate, limit = "top", 1
    elif re.search(r"\bhow many\b|\bnumber of\b|\bcount\b|\btotal\b", q):
        aggregate = "count"
    experimental = bool(terms.assay or terms.targets or terms.biosample or terms.transcription_factors)
    genomic = bool(terms.cytoband or terms.region or terms.chromosome or terms.locus or terms.go_id or disease)
    if terms.tracks or terms.assay in {"ATAC-seq", "CAGE"}:
        base: Base = "tracks"
    elif experimental or (subject in {"experiments", "biosamples", "targets", "assays"} and not genomic):
        base = "experiments"
    elif genomic or subject in {"genes", "chromosomes", "diseases"}:
        base = "genes"
    else:
        return None
    unfiltered = not (experimental or genomic)
    if unfiltered and re.search(r"\b(?:tracks?|experiments?)\b.*\b(?:measure|measuring|for|of|with|that)\s+"
                                r"(?!total\b|all\b|the\b|enformer\b|encode\b|any\b)\w", q):
        return None  # it names a filter that linked to nothing: every record would be a wrong answer
    if base == "tracks" and terms.assay == "RNA-seq":
        raise NotInData(["RNA-seq tracks"])
    gene_subjects = {"genes", "chromosomes", "diseases"}
    if subject is None or (base == "genes" and subject not in gene_subjects) \
            or (base != "genes" and subject in gene_subjects - {"genes"}) or (base == "tracks" and subject == "genes"):
        subject = base
    elif base == "tracks" and subject == "experiments":
        subject = "tracks"
    if base == "genes" and not genomic and aggregate == "list":
        return None  # all 67,363 genes is never the answer to a question
    if aggregate == "top" and subject == base:
        subject = {"genes": "chromosomes", "experiments": "biosamples", "tracks": "biosamples"}[base]
    return QuerySpec(base=base, subject=subject, aggregate=aggregate, limit=limit, terms=terms, disease=disease)


# --- Cypher ------------------------------------------------------------------------------------------------

def _band_condition(band: str, params: dict[str, Any]) -> str:
    """'17p13.1' matches that band and ranges starting there; '17p13' also its sub-bands 17p13.x."""
    params.update(band=band, band_range=band + "-")
    if "." in band:
        return "(g.cytoband = $band OR g.cytoband STARTS WITH $band_range)"
    params["band_sub"] = band + "."
    return "(g.cytoband = $band OR g.cytoband STARTS WITH $band_range OR g.cytoband STARTS WITH $band_sub)"


def _gene_query(spec: QuerySpec, params: dict[str, Any]) -> tuple[str, str]:
    terms = spec.terms
    patterns, conditions = ["(g:Gene)"], []
    if terms.go_id:
        patterns[0] += "-[:ANNOTATED_WITH]->(go:GoTerm)"
        params["go_id"] = terms.go_id
        conditions.append("go.go_id = $go_id")
    if spec.disease or spec.subject == "diseases":
        patterns.append("(g)-[:ASSOCIATED_WITH]->(d:Disease)")
        if spec.disease:
            params["disease"] = spec.disease
            conditions.append("d.name_lc = $disease")
        else:
            conditions.append("d.name IS NOT NULL")
    if terms.region:
        chrom, start, end = terms.region
        params.update(chromosome=chrom, region_start=start, region_end=end)
        conditions.append("g.chromosome = $chromosome AND g.start <= $region_end AND g.`end` >= $region_start")
    elif terms.cytoband:
        conditions.append(_band_condition(terms.cytoband, params))
    elif terms.chromosome:
        params["chromosome"] = terms.chromosome
        conditions.append("g.chromosome = $chromosome")
    if terms.locus:
        prop, params["locus"] = terms.locus
        conditions.append(f"g.{prop} = $locus")
    match = "MATCH " + ", ".join(patterns) + (" WHERE " + " AND ".join(conditions) if conditions else "")
    if spec.subject in {"chromosomes", "diseases"}:
        column, alias = ("g.chromosome", "chromosome") if spec.subject == "chromosomes" else ("d.name", "disease")
        if spec.aggregate == "count":
            return f"{match} RETURN count(DISTINCT {column}) AS {spec.subject}", "count"
        limit = f" LIMIT {int(spec.limit)}" if spec.limit else ""
        return (f"{match} RETURN {column} AS {alias}, count(DISTINCT g.gene_id) AS genes "
                f"ORDER BY genes DESC, {alias}{limit}"), ("top" if spec.aggregate == "top" else spec.subject)
    if spec.aggregate == "count":  # the graph holds NCBI's and GENCODE's genes too: say how many HGNC lacks
        return (f"{match} RETURN count(DISTINCT g.gene_id) AS genes, "
                "count(DISTINCT CASE WHEN g.hgnc_id IS NULL THEN g.gene_id END) AS without_an_HGNC_symbol"), "count"
    return (f"{match} RETURN DISTINCT g.symbol AS symbol, g.name AS name, g.chromosome AS chromosome, "
            "g.cytoband AS cytoband, g.start AS start ORDER BY chromosome, start, symbol"), "genes"


_COLUMNS = {"biosamples": ("biosample", "biosample"), "targets": ("target", "target"), "assays": ("assay", "assay"),
            "genes": ("target_gene", "symbol")}


def _record_query(spec: QuerySpec, params: dict[str, Any]) -> tuple[str, str]:
    """Experiments (e:Experiment) or tracks (t:Track): filters, target set operations, aggregation."""
    terms = spec.terms
    tracks = spec.base == "tracks"
    label, unit, v = ("Track", "tracks", "t") if tracks else ("Experiment", "experiments", "e")
    conditions = []
    if terms.assay:
        if tracks:
            params["assay"] = TRACK_ASSAY[terms.assay]
            conditions.append(f"{v}.assay = $assay")
        else:
            params["assays"] = ["ChIP-seq", "TF ChIP-seq"] if terms.assay == "ChIP-seq" else [terms.assay]
            conditions.append(f"{v}.assay IN $assays")
    targets = [t.lower() for t in terms.targets]
    setop = terms.target_op if len(targets) > 1 else None
    if len(targets) == 1:
        params["target"] = targets[0]
        conditions.append(f"{v}.target_lc = $target")
    elif targets:
        params["targets"] = targets
        conditions.append(f"{v}.target_lc IN $targets")
    if terms.biosample:
        params["biosample"] = terms.biosample
        conditions.append(f"{v}.biosample_lc CONTAINS $biosample")
    if terms.transcription_factors:
        conditions.append(f"{v}.target IS NOT NULL AND NOT {v}.target_lc =~ '{_HISTONE}'")
    match = f"MATCH ({v}:{label})" + (" WHERE " + " AND ".join(conditions) if conditions else "")
    subject = spec.subject
    if setop in {"and", "not"} and subject in {unit, "targets"}:
        subject = "biosamples"  # 'both X and Y' is asked of the samples that carry the marks
    if subject in _COLUMNS and not (tracks and subject == "genes"):
        prop, alias = _COLUMNS[subject]
        if setop in {"and", "not"}:
            if setop == "and":
                params["n_targets"] = len(targets)
                keep = "size(found) = $n_targets"
            else:
                params["included"] = targets[0]
                excluded = [f"excluded_{i}" for i in range(1, len(targets))]
                params.update(zip(excluded, targets[1:]))
                keep = " AND ".join(["$included IN found"] + [f"NOT ${name} IN found" for name in excluded])
            grouped = (f"{match} WITH {v}.{prop} AS {alias}, collect(DISTINCT {v}.target_lc) AS found, "
                       f"count({v}) AS {unit} WHERE {keep}")
            if spec.aggregate == "count":
                return f"{grouped} RETURN count({alias}) AS {subject}", "count"
            limit = f" LIMIT {int(spec.limit)}" if spec.limit else ""
            return (f"{grouped} RETURN {alias}, {unit} ORDER BY {unit} DESC, {alias}{limit}",
                    "top" if spec.aggregate == "top" else subject)
        if spec.aggregate == "count":
            return f"{match} RETURN count(DISTINCT {v}.{prop}) AS {subject}", "count"
        limit = f" LIMIT {int(spec.limit)}" if spec.limit else ""
        where = f" AND {v}.{prop} IS NOT NULL" if conditions else f" WHERE {v}.{prop} IS NOT NULL"
        return (f"{match}{where} RETURN {v}.{prop} AS {alias}, count({v}) AS {unit} "
                f"ORDER BY {unit} DESC, {alias}{limit}"), ("top" if spec.aggregate == "top" else subject)
    if spec.aggregate == "count":
        return f"{match} RETURN count({v}) AS {unit}", "count"
    if tracks:
        return (f"{match} RETURN {v}.`index` AS track, {v}.identifier AS identifier, {v}.assay AS assay, "
                f"{v}.target AS target, {v}.biosample AS biosample ORDER BY track"), "tracks"
    return (f"{match} RETURN {v}.accession AS accession, {v}.assay AS assay, {v}.target AS target, "
            f"{v}.biosample AS biosample ORDER BY accession"), "experiments"


def build(spec: QuerySpec) -> tuple[str, dict[str, Any], str]:
    """Cypher, its parameters and the kind of result ('count', 'top', 'genes', 'biosamples', ...)."""
    params: dict[str, Any] = {}
    cypher, kind = _gene_query(spec, params) if spec.base == "genes" else _record_query(spec, params)
    return cypher, params, kind


def summarise(kind: str, rows: list[dict[str, Any]], shown: int = 15) -> str:
    """One plain sentence over the rows, deterministic."""
    if not rows:
        return "No matching records in the graph."
    if kind == "count" or (len(rows) == 1 and len(rows[0]) == 1):
        (label, value), *parts = rows[0].items()
        of_them = "".join(f", {part} of them {name.replace('_', ' ')}" for name, part in parts if part)
        return f"{value} {label.replace('_', ' ')}{of_them}."
    first, *rest = rows[0]

    def named(row: dict[str, Any]) -> str:
        return f"chr{row[first]}" if first == "chromosome" else str(row[first])

    if kind == "top" and rest:
        measure = rest[-1]
        if len(rows) == 1:
            return f"{named(rows[0])} has the most {measure} ({rows[0][measure]})."
        ranked = ", ".join(f"{named(r)} ({r[measure]})" for r in rows[:shown])
        return f"Top {len(rows)} {first}s by {measure}: {ranked}."
    values = [named(r) for r in rows[:shown]]
    more = f" and {len(rows) - shown} more" if len(rows) > shown else ""
    noun = kind if kind in {"biosamples", "targets", "assays", "genes", "experiments", "tracks", "diseases",
                            "chromosomes"} else "rows"
    return f"{len(rows)} {noun}: {', '.join(values)}{more}."
