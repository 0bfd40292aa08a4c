"""ClinVar `gene_condition_source_id`: genes and the conditions they are associated with."""

from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import optional, read_rows

COLUMNS = ["GeneID", "AssociatedGenes", "RelatedGenes", "ConceptID", "DiseaseName", "SourceName", "SourceID", "DiseaseMIM"]


def parse_clinvar_conditions(path: Path) -> Iterator[dict]:
    for _, row in read_rows(path, required=COLUMNS):
        source_id = optional(row["SourceID"]) or ""
        yield {
            "entrez_id": row["GeneID"],
            "symbol": optional(row["AssociatedGenes"]) or optional(row["RelatedGenes"]),
            "association_type": "associated" if optional(row["AssociatedGenes"]) else "related",
            "medgen_id": row["ConceptID"],
            "name": row["DiseaseName"],
            "mondo_id": source_id if source_id.startswith("MONDO:") else None,
            "hpo_term": source_id if source_id.startswith("HP:") else None,
            "omim_id": optional(row["DiseaseMIM"]),
        }
