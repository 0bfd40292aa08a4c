"""MedGen `NAMES.RRF`: every name of every MedGen concept (`#CUI|name|source|SUPPRESS|`), the synonyms of
the concepts ClinVar's conditions are."""

from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import read_rows


def parse_medgen_names(path: Path) -> Iterator[dict]:
    """(concept, name) of each name MedGen does not suppress."""
    for _, row in read_rows(path, required=["CUI", "name", "source", "SUPPRESS"], delimiter="|"):
        if row["SUPPRESS"] != "Y":
            yield {"medgen_id": row["CUI"], "name": row["name"]}
