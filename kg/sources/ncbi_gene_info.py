"""NCBI Gene `Homo_sapiens.gene_info`: Entrez records with synonyms and cross-references."""

from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import optional, read_rows, split_multi

# NCBI type_of_gene -> HGNC locus_group, so `Gene.is_protein_coding` reads the same for genes HGNC lacks.
LOCUS_GROUPS = {
    "protein-coding": "protein-coding gene", "pseudo": "pseudogene", "ncRNA": "non-coding RNA",
    "snRNA": "non-coding RNA", "snoRNA": "non-coding RNA", "rRNA": "non-coding RNA", "tRNA": "non-coding RNA",
    "scRNA": "non-coding RNA", "miscRNA": "non-coding RNA", "biological-region": "other", "other": "other",
    "unknown": "other",
}
PRIMARY_CHROMOSOMES = {str(n) for n in range(1, 23)} | {"X", "Y", "MT"}
# The file also holds the mitochondrial genes of archaic humans (Neanderthal 63221, Denisovan 741158).
HUMAN = "9606"
COLUMNS = ["tax_id", "GeneID", "Symbol", "Synonyms", "dbXrefs", "chromosome", "map_location", "description", "type_of_gene"]


def parse_gene_info(path: Path) -> Iterator[dict]:
    for _, row in read_rows(path, required=COLUMNS):
        if row["tax_id"] != HUMAN:
            continue
        xrefs = {}
        for xref in split_multi(row["dbXrefs"]):
            db, _, value = xref.partition(":")
            xrefs.setdefault(db, value)
        yield {
            "entrez_id": row["GeneID"],
            "symbol": row["Symbol"],
            "synonyms": split_multi(row["Synonyms"]),
            "hgnc_id": xrefs.get("HGNC"),  # the value is already "HGNC:5"
            "ensembl_id": xrefs.get("Ensembl"),
            "omim_id": xrefs.get("MIM"),
            "chromosome": optional(row["chromosome"]),
            "map_location": optional(row["map_location"]),
            "description": optional(row["description"]),
            "type_of_gene": optional(row["type_of_gene"]),
        }
