"""RefSeq gene summaries, one paragraph per Entrez gene."""

from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import read_rows

COLUMNS = ["Gene_ID", "RefSeq_accession", "Review_status", "Gene_summary"]


def parse_refseq_summaries(path: Path) -> Iterator[dict]:
    for _, row in read_rows(path, required=COLUMNS):
        if row["Gene_summary"].strip():
            yield {
                "entrez_id": row["Gene_ID"],
                "summary": row["Gene_summary"].strip(),
                "refseq_accession": row["RefSeq_accession"],
                "review_status": row["Review_status"],
            }
