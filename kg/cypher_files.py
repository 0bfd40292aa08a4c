"""The read queries of the GeneGraph API live in kg/cypher/queries.cypher, one text for both backends."""

from functools import cache
from pathlib import Path

CYPHER_DIR = Path(__file__).parent / "cypher"


@cache
def named(file_name: str) -> dict[str, str]:
    """Statements introduced by a `// name: X` comment line, keyed by X."""
    queries: dict[str, str] = {}
    current = None
    for line in (CYPHER_DIR / file_name).read_text().splitlines():
        if line.startswith("// name:"):
            current = line.removeprefix("// name:").strip()
            queries[current] = ""
        elif current and not line.lstrip().startswith("//"):
            queries[current] += line + "\n"
    return {k: v.strip().rstrip(";").strip() for k, v in queries.items()}
