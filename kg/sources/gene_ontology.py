"""Gene Ontology for human genes (from NCBI gene2go, with is_a inference): term names and
gene-term annotation edges, as CSV node and edge files per aspect."""

import csv
from collections.abc import Iterator
from pathlib import Path

from kg.errors import ParseError
from kg.sources.table import read_rows

ASPECT_FILES = {
    "BP": ("actiobio_node_BiologicalProcess.csv.gz", "actiobio_edge_Gene_involvedIn_BiologicalProcess.csv.gz"),
    "MF": ("actiobio_node_MolecularFunction.csv.gz", "actiobio_edge_Gene_enables_MolecularFunction.csv.gz"),
    "CC": ("actiobio_node_CellularComponent.csv.gz", "actiobio_edge_Gene_locatedIn_CellularComponent.csv.gz"),
}


def parse_go_terms(path: Path, aspect: str) -> Iterator[dict]:
    for line_no, row in read_rows(path, required=["identifier", "name"], delimiter=",", quoting=csv.QUOTE_MINIMAL):
        if not row["identifier"].startswith("GO:"):
            raise ParseError(str(path), line_no, f"not a GO id: {row['identifier']!r}")
        yield {"go_id": row["identifier"], "name": row["name"], "aspect": aspect}


def parse_go_annotations(path: Path) -> Iterator[dict]:
    required = ["source_id", "target_id", "type", "experimental"]
    for line_no, row in read_rows(path, required=required, delimiter=",", quoting=csv.QUOTE_MINIMAL):
        if row["type"] not in ("direct", "inferred"):
            raise ParseError(str(path), line_no, f"type must be direct or inferred, found {row['type']!r}")
        yield {
            "entrez_id": row["source_id"],
            "go_id": row["target_id"],
            "direct": row["type"] == "direct",
            "experimental": row["experimental"] == "True",
        }
