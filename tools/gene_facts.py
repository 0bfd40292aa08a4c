"""Gene facts read from the graph: symbols, identifiers, location, locus type, diseases, GO terms.

Every function returns a `GeneFact` whose short answer follows GeneGPT's conventions (official symbol,
`chrN`, TRUE / NA for protein-coding) and whose `records` name the graph records it rests on."""

import functools
import inspect
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

from kg.errors import GeneNotFound, GeneverseError
from kg.models import Candidate, Gene

IdentifierKind = Literal["hgnc", "entrez", "ensembl", "uniprot", "omim"]

IDENTIFIER_LABELS: dict[str, str] = {
    "hgnc": "HGNC id",
    "entrez": "NCBI Gene (Entrez) id",
    "ensembl": "Ensembl gene id",
    "uniprot": "UniProt accession",
    "omim": "OMIM id",
}


class GeneFact(BaseModel):
    fact: str = Field(description="which fact: official_symbol, id_to_symbol, chromosome, cytoband, ...")
    query: str = Field(description="the name, id or disease the fact was asked for")
    answer: str = Field(description="short answer: 'ERBB2', 'chrX', 'TRUE'")
    text: str
    records: list[str] = Field(description="graph records the answer rests on")
    gene: str | None = Field(None, description="official symbol of the gene the fact is about")
    rows: list[dict[str, Any]] | None = None
    alternatives: list[str] = Field([], description="other genes the name may stand for, likeliest first")
    guess: bool = Field(False, description="the name's two likeliest genes are close: the answer is a guess")


class NoDiseaseMatch(GeneverseError):
    def __init__(self, name: str):
        super().__init__(f"No disease matching '{name}' in the graph (ClinVar and HPO conditions).")


def gene_record_id(gene: Gene) -> str:
    return gene.hgnc_id or gene.gene_id


def lookup(name: str, graph) -> tuple[Gene, str]:
    """The gene a name or id most likely denotes and how it matched ('official', 'alias', 'identifier', ...)."""
    resolution = graph.resolve(name.strip())
    if not resolution.candidates:
        raise GeneNotFound(name, [])
    best = resolution.best
    return graph.genes([best.gene_id])[0], best.reason


def _candidate_words(candidate: Candidate) -> str:
    return f"{candidate.symbol} ({'; '.join(candidate.why)})"


def names_other_genes(fact_of_gene: Callable[..., GeneFact]) -> Callable[..., GeneFact]:
    """A fact about the likeliest gene of a name that several genes share also names the others, with the
    evidence for each, and says when the choice is a guess."""
    signature = inspect.signature(fact_of_gene)

    @functools.wraps(fact_of_gene)
    def fact(name: str, *args, **kwargs) -> GeneFact:
        result = fact_of_gene(name, *args, **kwargs)
        resolution = signature.bind(name, *args, **kwargs).arguments["graph"].resolve(name.strip())
        if not resolution.ambiguous:
            return result
        best, others = resolution.best, resolution.others
        listed = "; ".join(_candidate_words(c) for c in others[:4])
        more = f" and {len(others) - 4} more" if len(others) > 4 else ""
        verdict = (f"{best.symbol} is only slightly likelier, so this answer is a guess" if resolution.guess
                   else f"{best.symbol} is the likeliest")
        result.text += f" Note: '{name.strip()}' also names {listed}{more}; {verdict} ({'; '.join(best.why)})."
        result.alternatives, result.guess = [c.symbol for c in others], resolution.guess
        return result
    return fact


def _describe_match(query: str, gene: Gene, reason: str) -> str:
    if reason == "official":
        return f"{gene.symbol} is already the official symbol"
    if reason == "identifier":
        return f"{query} is the identifier of {gene.symbol}"
    if reason == "ncbi_symbol":
        return f"{gene.symbol} is NCBI Gene's symbol; HGNC does not name this gene"
    kind = {"previous": "a previous symbol", "alias": "an alias", "synonym": "an NCBI Gene synonym"}.get(
        reason, f"a {reason.replace('_', ' ')} name"
    )
    return f"'{query}' is {kind} of {gene.symbol}"


@names_other_genes
def official_symbol(name: str, graph) -> GeneFact:
    """Official HGNC symbol of an alias, previous symbol, or HGNC / Entrez / Ensembl / UniProt / OMIM id."""
    gene, reason = lookup(name, graph)
    fact = "id_to_symbol" if reason == "identifier" else "official_symbol"
    full = f" ({gene.name})" if gene.name else ""
    text = f"The official gene symbol is {gene.symbol}{full}; {_describe_match(name, gene, reason)}."
    return GeneFact(fact=fact, query=name, answer=gene.symbol, text=text, records=[gene_record_id(gene)],
                    gene=gene.symbol)


@names_other_genes
def identifier(name: str, kind: IdentifierKind, graph) -> GeneFact:
    """One identifier of a gene (HGNC, Entrez, Ensembl, UniProt or OMIM)."""
    gene, _ = lookup(name, graph)
    value = {
        "hgnc": gene.hgnc_id,
        "entrez": gene.entrez_id,
        "ensembl": gene.ensembl_id,
        "uniprot": ", ".join(gene.uniprot_ids) or None,
        "omim": gene.omim_id,
    }[kind]
    label = IDENTIFIER_LABELS[kind]
    text = f"The {label} of {gene.symbol} is {value}." if value else f"The graph has no {label} for {gene.symbol}."
    return GeneFact(fact=f"{kind}_id", query=name, answer=value or "NA", text=text,
                    records=[gene_record_id(gene)], gene=gene.symbol)


@names_other_genes
def chromosome(name: str, graph) -> GeneFact:
    gene, _ = lookup(name, graph)
    if not gene.chromosome:
        text = f"The graph has no chromosome for {gene.symbol}."
        return GeneFact(fact="chromosome", query=name, answer="NA", text=text, records=[gene_record_id(gene)],
                        gene=gene.symbol)
    band = f" (cytoband {gene.cytoband})" if gene.cytoband else ""
    text = f"{gene.symbol} is located on chromosome {gene.chromosome}{band}."
    return GeneFact(fact="chromosome", query=name, answer=gene.ucsc_chromosome, text=text,
                    records=[gene_record_id(gene)], gene=gene.symbol)


@names_other_genes
def cytoband(name: str, graph) -> GeneFact:
    gene, _ = lookup(name, graph)
    span = (
        f", chr{gene.chromosome}:{gene.start:,}-{gene.end:,} ({gene.strand} strand, GRCh38)"
        if gene.chromosome and gene.start and gene.end else ""
    )
    text = (f"{gene.symbol} lies in cytoband {gene.cytoband}{span}." if gene.cytoband
            else f"The graph has no cytoband for {gene.symbol}.")
    return GeneFact(fact="cytoband", query=name, answer=gene.cytoband or "NA", text=text,
                    records=[gene_record_id(gene)], gene=gene.symbol)


@names_other_genes
def is_protein_coding(name: str, graph) -> GeneFact:
    """TRUE when HGNC's locus group is 'protein-coding gene', NA otherwise (GeneGPT's convention)."""
    gene, _ = lookup(name, graph)
    kind = gene.locus_type or gene.locus_group or "unknown locus type"
    if gene.is_protein_coding:
        text = f"Yes: {gene.symbol} is a protein-coding gene ({kind})."
    else:
        text = f"No: {gene.symbol} is not protein-coding; its locus type is {kind}."
    return GeneFact(fact="protein_coding", query=name, answer="TRUE" if gene.is_protein_coding else "NA",
                    text=text, records=[gene_record_id(gene)], gene=gene.symbol)


@names_other_genes
def diseases_of_gene(name: str, graph, limit: int = 20) -> GeneFact:
    """Conditions linked to a gene by ClinVar or HPO edges."""
    gene, _ = lookup(name, graph)
    diseases = graph.diseases_of_gene(gene.gene_id)
    named = [d for d in diseases if d.name] + [d for d in diseases if not d.name]
    shown = named[:limit]
    labels = [d.name or d.disease_id for d in shown]
    more = f" (and {len(diseases) - limit} more)" if len(diseases) > limit else ""
    text = (f"{gene.symbol} is associated with {len(diseases)} conditions: {'; '.join(labels)}{more}."
            if diseases else f"The graph has no ClinVar or HPO condition for {gene.symbol}.")
    rows = [{"disease_id": d.disease_id, "name": d.name, "sources": d.sources} for d in shown]
    return GeneFact(fact="diseases_of_gene", query=name, answer="; ".join(labels) or "NA", text=text,
                    records=[gene_record_id(gene)] + [d.disease_id for d in shown], gene=gene.symbol, rows=rows)


# a family's members named in an answer's text; its rows list them all
FAMILY_MEMBERS_NAMED = 12


def genes_of_disease(disease: str, graph, limit: int = 50) -> GeneFact:
    """Genes linked by ClinVar or HPO edges to the best-matching condition, or to every member of the family
    a name stands for ('Otofaciocervical syndrome': types 1 and 2)."""
    if family := graph.disease_family(disease):
        return _genes_of_family(disease, family)
    matches = graph.genes_of_disease(disease, limit=limit)
    if not matches:
        raise NoDiseaseMatch(disease)
    best, genes = matches[0]
    symbols = sorted({g.symbol for g in genes})
    other = [d.name for d, _ in matches[1:4] if d.name]
    see_also = f" Other matching conditions: {'; '.join(other)}." if other else ""
    matched = ("" if not best.matched_name or best.matched_name.lower() == (best.name or "").lower()
               else f" (matched by its other name '{best.matched_name}')")
    closest = "" if best.score == 1.0 else f" (the closest condition to '{disease}', match {best.score:.2f})"
    text = f"Genes associated with {best.name or best.disease_id}{matched}{closest}: {', '.join(symbols)}.{see_also}"
    rows = [{"disease": d.name, "disease_id": d.disease_id, "matched_name": d.matched_name, "score": d.score,
             "genes": sorted({g.symbol for g in gs})} for d, gs in matches]
    return GeneFact(fact="genes_of_disease", query=disease, answer=", ".join(symbols), text=text,
                    records=[best.disease_id] + [gene_record_id(g) for g in genes], rows=rows)


def _genes_of_family(disease: str, family: list) -> GeneFact:
    symbols = sorted({g.symbol for _, genes in family for g in genes})
    names = list(dict.fromkeys(d.name or d.disease_id for d, _ in family))
    more = f" and {len(names) - FAMILY_MEMBERS_NAMED} more" if len(names) > FAMILY_MEMBERS_NAMED else ""
    text = (f"Genes associated with {disease}, a family of {len(names)} conditions "
            f"({'; '.join(names[:FAMILY_MEMBERS_NAMED])}{more}): {', '.join(symbols) or 'none in the graph'}.")
    rows = [{"disease": d.name, "disease_id": d.disease_id, "genes": sorted({g.symbol for g in genes})}
            for d, genes in family]
    records = [d.disease_id for d, _ in family] + list(dict.fromkeys(gene_record_id(g) for _, gs in family for g in gs))
    return GeneFact(fact="genes_of_disease", query=disease, answer=", ".join(symbols), text=text, records=records,
                    rows=rows)


@names_other_genes
def go_terms(name: str, graph, aspect: Literal["BP", "MF", "CC"] | None = None, limit: int = 25) -> GeneFact:
    """GO terms annotated directly to a gene (experimental evidence first)."""
    gene, _ = lookup(name, graph)
    terms = sorted(graph.go_terms(gene.gene_id, aspect=aspect, direct_only=True),
                   key=lambda t: (not t.experimental, t.aspect, t.name))
    shown = terms[:limit]
    scope = {"BP": "biological process", "MF": "molecular function", "CC": "cellular component"}.get(aspect, "")
    more = f" (and {len(terms) - limit} more)" if len(terms) > limit else ""
    text = (f"{gene.symbol} has {len(terms)} direct GO {scope + ' ' if scope else ''}annotations: "
            f"{'; '.join(f'{t.name} ({t.go_id})' for t in shown)}{more}."
            if terms else f"The graph has no direct GO {scope} annotation for {gene.symbol}.")
    rows = [t.model_dump() for t in shown]
    return GeneFact(fact="go_terms", query=name, answer="; ".join(t.name for t in shown) or "NA", text=text,
                    records=[gene_record_id(gene)] + [t.go_id for t in shown], gene=gene.symbol, rows=rows)


@names_other_genes
def gene_overview(name: str, graph) -> GeneFact:
    """The graph's record of a gene: name, ids, location, locus type, aliases and the RefSeq summary."""
    gene, _ = lookup(name, graph)
    ids = ", ".join(f"{label} {value}" for label, value in [
        ("HGNC", gene.hgnc_id), ("Entrez", gene.entrez_id), ("Ensembl", gene.ensembl_id),
        ("UniProt", "/".join(gene.uniprot_ids) or None), ("OMIM", gene.omim_id)] if value)
    aliases = gene.aliases + gene.previous_symbols
    parts = [
        f"{gene.symbol} ({gene.name or 'no full name'}) is a {gene.locus_type or gene.locus_group or 'gene'}",
        f" on chromosome {gene.chromosome} ({gene.cytoband})" if gene.chromosome else "",
        f". Identifiers: {ids}" if ids else "",
        f". Also known as {', '.join(aliases)}" if aliases else "",
        f". RefSeq summary: {gene.summary}" if gene.summary else ".",
    ]
    return GeneFact(fact="overview", query=name, answer=gene.symbol, text="".join(parts),
                    records=[gene_record_id(gene)], gene=gene.symbol)
