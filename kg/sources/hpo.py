"""HPO: `genes_to_disease.txt` (Entrez genes linked to OMIM / ORPHA disease ids), the disease names of
`phenotype.hpoa`, and the names and exact synonyms of the ontology's terms."""

from collections.abc import Iterator
from pathlib import Path

from kg.errors import ParseError
from kg.sources.go_obo import read_obo
from kg.sources.table import read_rows, split_multi

COLUMNS = ["ncbi_gene_id", "gene_symbol", "association_type", "disease_id"]


def parse_hpo_genes_to_disease(path: Path) -> Iterator[dict]:
    for line_no, row in read_rows(path, required=COLUMNS):
        if not row["ncbi_gene_id"].startswith("NCBIGene:"):
            raise ParseError(str(path), line_no, f"expected NCBIGene:<id>, found {row['ncbi_gene_id']!r}")
        yield {
            "entrez_id": row["ncbi_gene_id"].removeprefix("NCBIGene:"),
            "symbol": row["gene_symbol"],
            "association_type": row["association_type"].lower(),
            "disease_id": row["disease_id"],
        }


def parse_hpo_disease_names(path: Path) -> Iterator[dict]:
    """The first name of each disease of `phenotype.hpoa` (one row per annotation, after '#' lines), or of
    the vendored table of those names."""
    seen: set[str] = set()
    for _, row in read_rows(path, required=["database_id", "disease_name"], preamble="#"):
        if row["database_id"] not in seen:
            seen.add(row["database_id"])
            yield {"disease_id": row["database_id"], "name": row["disease_name"]}


def parse_hpo_terms(path: Path) -> Iterator[dict]:
    """Non-obsolete HPO terms with their exact synonyms: from `hp.obo`, or from the vendored table of them."""
    if path.suffix == ".obo":
        for term in read_obo(path):
            if term.get("id", "").startswith("HP:") and term.get("name") and not term.get("obsolete"):
                yield {"hpo_id": term["id"], "name": term["name"], "synonyms": term["synonyms"]}
        return
    for _, row in read_rows(path, required=["hpo_id", "name", "exact_synonyms"]):
        yield {"hpo_id": row["hpo_id"], "name": row["name"], "synonyms": split_multi(row["exact_synonyms"])}
