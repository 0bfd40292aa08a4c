"""GPTCelltype's compiled marker annotations (`all.csv`): per study, tissue and cell type, the top marker
genes and the manual annotation with its Cell Ontology name and id. Yields one record per human cell type
with its markers in rank order; the Mouse Cell Atlas rows are left out (the graph is of human genes)."""

import csv
from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import optional, read_rows

COLUMNS = ["dataset", "tissue", "marker", "manual_annotation", "manual_CLname", "manual_CLID", "manual_broadtype"]
NOT_HUMAN = {"MCA"}  # Mouse Cell Atlas: mouse gene symbols


def parse_cell_markers(path: Path) -> Iterator[dict]:
    for _, row in read_rows(path, required=COLUMNS, delimiter=",", quoting=csv.QUOTE_MINIMAL):
        if row["dataset"] in NOT_HUMAN or not optional(row["manual_annotation"]):
            continue
        tissue = optional(row["tissue"])
        name = row["manual_annotation"].strip()
        yield {
            "cell_type_id": "|".join([row["dataset"], tissue or "", name]),
            "name": name,
            "ontology_name": optional(row["manual_CLname"]),
            "ontology_id": optional(row["manual_CLID"]),
            "tissue": tissue,
            "broad_type": optional(row["manual_broadtype"]),
            "dataset": row["dataset"],
            "markers": [m.strip() for m in row["marker"].split(",") if m.strip()],
        }
