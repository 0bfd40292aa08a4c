"""HGNC complete set (hgnc_complete_set.txt): one approved gene per row."""

import re
from collections.abc import Iterator
from pathlib import Path

from kg.errors import ParseError
from kg.sources.table import optional, read_rows, split_multi

COLUMNS = [
    "hgnc_id", "symbol", "name", "locus_group", "locus_type", "status", "location",
    "alias_symbol", "prev_symbol", "entrez_id", "ensembl_gene_id", "uniprot_ids",
    "omim_id", "refseq_accession", "gene_group",
]

_LOCATION = re.compile(r"^(\d{1,2}|X|Y)(?:([pq].*)|\s+centromere|\s+.*)?$")


def chromosome_of(location: str) -> str | None:
    """'17q12' -> '17'; 'Xp22.33' -> 'X'; 'mitochondria' -> 'MT'; unplaced -> None."""
    if location == "mitochondria":
        return "MT"
    match = _LOCATION.match(location)
    return match.group(1) if match else None


def parse_hgnc(path: Path) -> Iterator[dict]:
    for line_no, row in read_rows(path, required=COLUMNS):
        for column in ("hgnc_id", "symbol"):  # a gene's key and its name: a row without them cannot be a gene
            if not row[column].strip():
                raise ParseError(str(path), line_no, f"empty {column}")
        location = row["location"].strip()
        yield {
            "gene_id": row["hgnc_id"],
            "hgnc_id": row["hgnc_id"],
            "symbol": row["symbol"],
            "name": optional(row["name"]),
            "locus_group": optional(row["locus_group"]),
            "locus_type": optional(row["locus_type"]),
            "status": row["status"],
            "cytoband": location if chromosome_of(location) and location != "mitochondria" else None,
            "chromosome": chromosome_of(location),
            "aliases": split_multi(row["alias_symbol"]),
            "previous_symbols": split_multi(row["prev_symbol"]),
            "entrez_id": optional(row["entrez_id"]),
            "ensembl_id": optional(row["ensembl_gene_id"]),
            "uniprot_ids": split_multi(row["uniprot_ids"]),
            "omim_id": optional(row["omim_id"].strip('"').split("|")[0]),
            "refseq": split_multi(row["refseq_accession"]),
            "gene_groups": split_multi(row["gene_group"]),
            # older releases lack these two columns
            "gene_group_ids": split_multi(row.get("gene_group_id", "")),
            "mane_select": split_multi(row.get("mane_select", "")),
        }
