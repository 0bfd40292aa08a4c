"""ENCODE experiments behind the Enformer and Borzoi training tracks."""

from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import optional, read_rows, split_multi

COLUMNS = ["experiment_accession", "assay", "target", "biosample_description", "file_accessions", "in_track_lists"]


def parse_track_experiments(path: Path) -> Iterator[dict]:
    for _, row in read_rows(path, required=COLUMNS):
        yield {
            "accession": row["experiment_accession"],
            "assay": row["assay"],
            "target": optional(row["target"]),
            "biosample": row["biosample_description"],
            "biosample_description": row["biosample_description"],
            "biosample_type": None,
            "file_accessions": split_multi(row["file_accessions"].replace(",", ";"), ";"),
            "source": "Enformer/Borzoi track lists",
        }
