"""GENCODE v23 gene table as a UCSC Xena probe map (GRCh38), with that release's gene names,
including clone-based names (RP11-17A4.3) that later releases renamed or dropped."""

from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import chromosome_name, parse_int, read_rows

COLUMNS = ["id", "Gene_Symbol", "chrom", "chromStart", "chromEnd", "strand"]


def parse_gencode_probemap(path: Path) -> Iterator[dict]:
    for line_no, row in read_rows(path, required=COLUMNS):
        start = parse_int(path, line_no, row["chromStart"], "chromStart")
        end = parse_int(path, line_no, row["chromEnd"], "chromEnd")
        yield {
            "ensembl_id": row["id"].split(".")[0],
            "name": row["Gene_Symbol"],
            "chromosome": chromosome_name(row["chrom"]),
            "start": start,
            "end": end,
            "strand": row["strand"],
            "tss": start if row["strand"] == "+" else end,
            "assembly": "GRCh38",
        }
