"""NCBI `gene2go`: GO annotations of Entrez genes, all species; human rows are kept."""

from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import read_rows

COLUMNS = ["tax_id", "GeneID", "GO_ID", "Evidence", "Qualifier", "Category"]
# Evidence codes of experiments (GO's EXP family and its high-throughput counterparts).
EXPERIMENTAL = {"EXP", "IDA", "IPI", "IMP", "IGI", "IEP", "HTP", "HDA", "HMP", "HGI", "HEP"}


def parse_gene2go(path: Path, tax_id: str = "9606") -> Iterator[dict]:
    for _, row in read_rows(path, required=COLUMNS):
        if row["tax_id"] != tax_id or row["Qualifier"].startswith("NOT"):
            continue
        yield {"entrez_id": row["GeneID"], "go_id": row["GO_ID"], "experimental": row["Evidence"] in EXPERIMENTAL}
