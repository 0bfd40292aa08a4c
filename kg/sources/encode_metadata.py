"""An ENCODE portal `metadata.tsv` export: one file per row, grouped here into experiments."""

from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import optional, read_rows

COLUMNS = [
    "File accession", "Experiment accession", "Assay", "Biosample term name", "Biosample type",
    "Experiment target", "File assembly", "Biosample organism",
]


def parse_encode_metadata(path: Path) -> Iterator[dict]:
    experiments: dict[str, dict] = {}
    for _, row in read_rows(path, required=COLUMNS):
        accession = row["Experiment accession"]
        experiment = experiments.get(accession)
        if experiment is None:
            target = optional(row["Experiment target"])
            experiment = experiments[accession] = {
                "accession": accession,
                "assay": row["Assay"],
                # targets are written "JUN-human"; the graph speaks gene symbols
                "target": target.rsplit("-", 1)[0] if target and target.endswith("-human") else target,
                "biosample": row["Biosample term name"],
                "biosample_description": None,  # the export names the biosample by its ontology term
                "biosample_type": optional(row["Biosample type"]),
                "assembly": row["File assembly"],
                "file_accessions": [],
                "source": "ENCODE metadata.tsv",
            }
        experiment["file_accessions"].append(row["File accession"])
    yield from experiments.values()
