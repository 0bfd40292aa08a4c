"""Cypher lives in kg/cypher/*.cypher so that a reader can compare the two dialects side by side."""

import re
from functools import cache
from pathlib import Path

CYPHER_DIR = Path(__file__).parent / "cypher"


def statements(file_name: str) -> list[str]:
    """`;`-terminated statements of a file, comments removed."""
    text = "\n".join(line for line in (CYPHER_DIR / file_name).read_text().splitlines()
                     if not line.lstrip().startswith("//"))
    return [s.strip() for s in text.split(";") if s.strip()]


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


@cache
def ladybug_columns() -> dict[str, list[str]]:
    """Property names per table in declaration order (COPY from a data frame is positional)."""
    columns = {}
    for ddl in statements("ladybug_schema.cypher"):
        label, body = re.match(r"CREATE (?:NODE|REL) TABLE (\w+)\((.*)\)$", ddl, re.DOTALL).groups()
        columns[label] = [f.split()[0].strip("`") for f in body.split(",") if not f.strip().startswith("FROM")]
    return columns
