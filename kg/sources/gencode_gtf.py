"""A GENCODE GTF (gencode.vNN.annotation.gtf): gene records with coordinates and current names."""

import re
from collections.abc import Iterator
from pathlib import Path

from kg.errors import ParseError
from kg.sources.table import chromosome_name, no_records, not_utf8, open_text

_ATTRIBUTE = re.compile(r'(\w+) "([^"]*)"')


def parse_gencode_gtf(path: Path) -> Iterator[dict]:
    try:
        yield from _gene_records(path)
    except UnicodeDecodeError as err:
        raise not_utf8(path, err) from None


def _gene_records(path: Path) -> Iterator[dict]:
    genes, line_no = 0, 0
    with open_text(path) as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.startswith("#"):
                continue
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 9:
                raise ParseError(str(path), line_no, f"expected 9 GTF fields, found {len(fields)}")
            if fields[2] != "gene":
                continue
            attributes = dict(_ATTRIBUTE.findall(fields[8]))
            if "gene_id" not in attributes:
                raise ParseError(str(path), line_no, "gene record without gene_id")
            try:
                start, end = int(fields[3]), int(fields[4])
            except ValueError:
                raise ParseError(str(path), line_no, "start and end must be integers") from None
            strand = fields[6]
            genes += 1
            yield {
                "ensembl_id": attributes["gene_id"].split(".")[0],
                "name": attributes.get("gene_name"),
                "gene_type": attributes.get("gene_type"),
                "chromosome": chromosome_name(fields[0]),
                "start": start,
                "end": end,
                "strand": strand,
                "tss": start if strand == "+" else end,
            }
    if not genes:
        raise no_records(path, line_no)
