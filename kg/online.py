"""Gene records from MyGene.info, for genes the local graph lacks (`geneverse kg gene NAME --online`).

Only called when asked for: the local graph never reaches the network. Records come back as
`kg.models.Gene` with source "MyGene.info", so every answer says where it came from.
"""

import os
import re
from typing import Any

import httpx
from mygene import MyGeneInfo

from kg.download import offline_error
from kg.errors import AmbiguousName, BackendUnavailable, GeneNotFound
from kg.identifiers import ENSEMBL_GENE, UNIPROT_ACCESSION
from kg.models import Candidate, Gene
from kg.sources.ncbi_gene_info import LOCUS_GROUPS, PRIMARY_CHROMOSOMES

MYGENE_URL = "https://mygene.info/v3"
MYGENE_URL_ENV = "GENEVERSE_MYGENE_URL"  # a mirror, or a recorded service in tests
SOURCE = "MyGene.info"
FIELDS = (
    "symbol,name,HGNC,entrezgene,ensembl.gene,uniprot.Swiss-Prot,MIM,"
    "genomic_pos,map_location,type_of_gene,summary,alias"
)
HITS = 10
# biothings' own client waits forever; a dead network must end in one message within seconds.
TIMEOUT = httpx.Timeout(20.0, connect=5.0)

# Identifiers go to the MyGene field that holds them; anything else is looked up as symbol or alias.
ID_QUERIES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"HGNC:(\d+)", re.IGNORECASE), "HGNC:{}"),
    (re.compile(rf"({ENSEMBL_GENE})(?:\.\d+)?", re.IGNORECASE), "ensembl.gene:{}"),
    (re.compile(r"(\d+)"), "entrezgene:{}"),
    (re.compile(r"(?:OMIM|MIM):(\d+)", re.IGNORECASE), "MIM:{}"),
]
# Many symbols (H2BC12, P2RY12, B3GNT9) also look like UniProt accessions, so those are asked both ways.
UNIPROT = re.compile(UNIPROT_ACCESSION, re.IGNORECASE)

CYTOBAND_CHROMOSOME = re.compile(r"(\d{1,2}|X|Y|MT)(?=[pq;\s]|$)")


class NotOnMyGene(GeneNotFound):
    """GeneNotFound, worded for the online look-up."""

    def __init__(self, name: str):
        self.name, self.suggestions = name, []
        Exception.__init__(self, f"MyGene.info knows no human gene named '{name}'.")


def mygene_client(url: str | None = None) -> MyGeneInfo:
    """A MyGene.info client whose requests time out; `url` defaults to $GENEVERSE_MYGENE_URL, else the
    public service."""
    client = MyGeneInfo()
    client.url = (url or os.environ.get(MYGENE_URL_ENV) or MYGENE_URL).rstrip("/")
    client.http_client = httpx.Client(timeout=TIMEOUT)
    client.http_client_setup = True
    return client


def fetch_mygene(name: str, client: MyGeneInfo | None = None) -> Gene:
    """The human gene MyGene.info knows as `name` (symbol, alias, HGNC:/ENSG/Entrez/MIM:/UniProt id).

    Raises NotOnMyGene (a GeneNotFound) when it knows none, AmbiguousName when `name` is an alias of
    several genes and the symbol of none, OfflineError when the service cannot be reached."""
    name = name.strip()
    if not name:
        raise NotOnMyGene(name)
    client = client or mygene_client()
    query, by_name = mygene_query(name)
    try:
        answer = client.query(query, fields=FIELDS, species="human", size=HITS)
    except httpx.TransportError as err:
        raise offline_error(SOURCE, client.url, err) from err
    except httpx.HTTPStatusError as err:
        raise BackendUnavailable(f"{SOURCE} answered HTTP {err.response.status_code} to '{name}'.") from err
    except ValueError as err:  # a body that is not JSON: a portal or proxy page, not the service
        raise BackendUnavailable(f"{SOURCE} at {client.url} did not answer with JSON.") from err
    hits = answer.get("hits") or []
    if not hits:
        raise NotOnMyGene(name)
    return gene_from_hit(_pick(hits, name, by_name))


def mygene_query(name: str) -> tuple[str, bool]:
    """The MyGene.info query string for `name`, and whether it is a name (not an identifier)."""
    for pattern, query in ID_QUERIES:
        if match := pattern.fullmatch(name):
            return query.format(match.group(1).upper()), False
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    query = f"symbol:{quoted} OR alias:{quoted}"
    if UNIPROT.fullmatch(name):
        query += f" OR uniprot:{name.upper()}"
    return query, True


def _pick(hits: list[dict[str, Any]], name: str, by_name: bool) -> dict[str, Any]:
    """The hit `name` means: its official symbol before its aliases before its UniProt accession."""
    if not by_name:
        return hits[0]
    key = name.upper()
    official = [h for h in hits if str(h.get("symbol", "")).upper() == key]
    if official:
        return official[0]
    aliased = [h for h in hits if key in {a.upper() for a in _as_list(h.get("alias"))}]
    if len(aliased) > 1:
        candidates = [
            Candidate(gene_id=g.gene_id, hgnc_id=g.hgnc_id, symbol=g.symbol, name=g.name, reason="alias")
            for g in map(gene_from_hit, aliased)
        ]
        raise AmbiguousName(name, candidates)
    if aliased:
        return aliased[0]
    return hits[0]


def gene_from_hit(hit: dict[str, Any]) -> Gene:
    """Map one MyGene.info gene object onto the graph's Gene record."""
    hgnc = _first(hit.get("HGNC"))
    entrez = _first(hit.get("entrezgene"))
    position = _primary_position(hit.get("genomic_pos"))
    ensembl_ids = [e["gene"] for e in _as_list(hit.get("ensembl")) if e.get("gene")]
    # a symbol can map to several Ensembl genes; the one at the primary locus is the gene itself
    ensembl = (position or {}).get("ensemblgene") or _first(ensembl_ids)
    cytoband = hit.get("map_location")
    strand = {1: "+", -1: "-"}.get(position.get("strand")) if position else None
    start, end = (position.get("start"), position.get("end")) if position else (None, None)
    type_of_gene = hit.get("type_of_gene")
    return Gene(
        gene_id=f"HGNC:{hgnc}" if hgnc else ensembl or f"NCBIGene:{entrez or hit['_id']}",
        hgnc_id=f"HGNC:{hgnc}" if hgnc else None,
        symbol=hit.get("symbol") or str(hit["_id"]),
        name=hit.get("name"),
        locus_group=LOCUS_GROUPS.get(type_of_gene or ""),
        locus_type=type_of_gene,  # NCBI's vocabulary (protein-coding, ncRNA, ...), not HGNC's
        entrez_id=entrez,
        ensembl_id=ensembl,
        uniprot_ids=_as_list((hit.get("uniprot") or {}).get("Swiss-Prot")),
        omim_id=_first(hit.get("MIM")),
        chromosome=_chromosome(position, cytoband),
        cytoband=cytoband,
        start=start,
        end=end,
        strand=strand,
        tss=(start if strand == "+" else end) if strand else None,
        summary=hit.get("summary"),
        aliases=_as_list(hit.get("alias")),
        source=SOURCE,
    )


def _as_list(value: Any) -> list:
    """MyGene.info gives a scalar for one value and a list for several."""
    if value is None:
        return []
    return [str(v) if isinstance(v, int) else v for v in (value if isinstance(value, list) else [value])]


def _first(value: Any) -> str | None:
    values = _as_list(value)
    return str(values[0]) if values else None


def _primary_position(genomic_pos: Any) -> dict[str, Any] | None:
    """The locus on a primary chromosome: alt haplotypes skipped, X before Y for pseudoautosomal genes."""
    primary = [p for p in _as_list(genomic_pos) if _chromosome_of(p) in PRIMARY_CHROMOSOMES]
    return min(primary, key=lambda p: _chromosome_of(p) == "Y", default=None)


def _chromosome_of(position: dict[str, Any]) -> str:
    return str(position.get("chr", "")).removeprefix("chr")


def _chromosome(position: dict[str, Any] | None, cytoband: str | None) -> str | None:
    if position:
        return _chromosome_of(position)
    match = CYTOBAND_CHROMOSOME.match(cytoband or "")
    return match.group(1) if match else None
