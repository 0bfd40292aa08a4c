"""Enformer / Basenji `targets_human.txt`: the 5,313 human output tracks in output order."""

from collections.abc import Iterator
from pathlib import Path

from kg.errors import ParseError
from kg.sources.table import parse_int, read_rows

COLUMNS = ["index", "genome", "identifier", "file", "clip", "scale", "sum_stat", "description"]
ASSAYS = ("DNASE", "ATAC", "CHIP", "CAGE")


def parse_enformer_targets(path: Path) -> Iterator[dict]:
    for expected, (line_no, row) in enumerate(read_rows(path, required=COLUMNS)):
        index = parse_int(path, line_no, row["index"], "index")
        if index != expected:
            raise ParseError(str(path), line_no, f"tracks must be in output order: expected index {expected}, found {index}")
        assay, _, rest = row["description"].partition(":")
        if assay not in ASSAYS:
            raise ParseError(str(path), line_no, f"unknown assay {assay!r} in description {row['description']!r}")
        # CHIP descriptions carry the target first: CHIP:H3K27ac:liver
        target, biosample = rest.split(":", 1) if assay == "CHIP" and ":" in rest else (None, rest)
        yield {
            "index": index,
            "identifier": row["identifier"],
            "assay": assay,
            "target": target,
            "biosample": biosample.strip(),
            "description": row["description"],
        }
