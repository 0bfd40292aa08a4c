"""RefSeq gene summaries, one paragraph per Entrez gene."""

import re
from collections.abc import Iterator
from pathlib import Path

from kg.sources.table import read_rows

COLUMNS = ["Gene_ID", "RefSeq_accession", "Review_status", "Gene_summary"]
# "[provided by RefSeq, Jul 2008]" and similar curation notes carry no function.
_CURATION_NOTE = re.compile(r"\s*\[(?:provided by|supplied by|summary by)[^\]]*\]", re.IGNORECASE)


def clean_summary(summary: str | None) -> str:
    """A summary without its curation notes."""
    return _CURATION_NOTE.sub("", summary or "").strip()


def parse_refseq_summaries(path: Path) -> Iterator[dict]:
    for _, row in read_rows(path, required=COLUMNS):
        if row["Gene_summary"].strip():
            yield {
                "entrez_id": row["Gene_ID"],
                "summary": row["Gene_summary"].strip(),
                "refseq_accession": row["RefSeq_accession"],
                "review_status": row["Review_status"],
            }
