"""GENCODE v29 gene coordinates on GRCh38, joined to HGNC by Ensembl id."""

from collections.abc import Iterator
from pathlib import Path

from kg.errors import ParseError
from kg.sources.table import chromosome_name, optional, parse_int, read_rows

COLUMNS = [
    "ensembl_gene_id", "ensembl_gene_id_version", "hgnc_symbol", "hgnc_id", "entrez_id",
    "hgnc_locus_group", "chrom", "start_1based", "end", "strand", "tss_1based",
]


def parse_gencode_coordinates(path: Path) -> Iterator[dict]:
    for line_no, row in read_rows(path, required=COLUMNS):
        if row["strand"] not in ("+", "-"):
            raise ParseError(str(path), line_no, f"strand must be + or -, found {row['strand']!r}")
        yield {
            "ensembl_id": row["ensembl_gene_id"],
            "hgnc_id": optional(row["hgnc_id"]),
            "chromosome": chromosome_name(row["chrom"]),
            "start": parse_int(path, line_no, row["start_1based"], "start_1based"),
            "end": parse_int(path, line_no, row["end"], "end"),
            "strand": row["strand"],
            "tss": parse_int(path, line_no, row["tss_1based"], "tss_1based"),
        }
