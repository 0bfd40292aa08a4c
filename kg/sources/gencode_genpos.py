"""GENCODE v19 (GRCh37) gene positions: `NAME|ENSG.version`, chromosome, start, end; no header."""

from collections.abc import Iterator
from pathlib import Path

from kg.errors import ParseError
from kg.sources.table import chromosome_name, parse_int, read_rows

COLUMNS = ["name_id", "chrom", "start", "end"]


def parse_gencode_genpos(path: Path) -> Iterator[dict]:
    for line_no, row in read_rows(path, columns=COLUMNS):
        name, sep, ensembl = row["name_id"].rpartition("|")
        if not sep or not ensembl.startswith("ENSG"):
            raise ParseError(str(path), line_no, f"expected NAME|ENSG..., found {row['name_id']!r}")
        yield {
            "ensembl_id": ensembl.split(".")[0],
            "name": name,
            "chromosome": chromosome_name(row["chrom"]),
            "start": parse_int(path, line_no, row["start"], "start"),
            "end": parse_int(path, line_no, row["end"], "end"),
            "strand": None,
            "tss": None,
            "assembly": "GRCh37",
        }
