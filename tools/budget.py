"""One result budget for every door (MCP, LangChain, HTTP /ask and /query, `ask --json`): a result a model
reads holds at most `rows` rows and about `chars` characters of JSON. What is left out is said, never hidden:
`rows_total` counts every row there is, `truncated` is true, and the query tools page on with `offset`.

    GENEVERSE_RESULT_ROWS   rows per result (default 50, at most 100)
    GENEVERSE_RESULT_CHARS  characters of a result's JSON (default 20,000)
"""

import json
import os
from dataclasses import dataclass
from typing import Any

from kg.errors import GeneverseError
from tools.query.builder import MAX_ROWS  # the query engine reads at most this many rows of a list at once

# A string value inside a row, and a result's own text, are cut past these lengths (the rest is elided).
ROW_VALUE_CHARS = 500
LIST_ITEMS = 50  # other lists in a result (records, corrections): the first ones
ANSWER_CHARS = 1_000  # a short answer that lists what the rows hold


@dataclass(frozen=True)
class ResultBudget:
    rows: int = 50
    chars: int = 20_000

    def __post_init__(self):
        if not 1 <= self.rows <= MAX_ROWS or self.chars < 2_000:
            raise GeneverseError(f"A result budget is 1 to {MAX_ROWS} rows and at least 2,000 characters "
                                 f"(GENEVERSE_RESULT_ROWS, GENEVERSE_RESULT_CHARS); got {self.rows} rows and "
                                 f"{self.chars} characters.")

    @classmethod
    def from_env(cls) -> "ResultBudget":
        try:
            return cls(rows=int(os.environ.get("GENEVERSE_RESULT_ROWS", cls.rows)),
                       chars=int(os.environ.get("GENEVERSE_RESULT_CHARS", cls.chars)))
        except ValueError as err:
            raise GeneverseError(f"GENEVERSE_RESULT_ROWS and GENEVERSE_RESULT_CHARS are whole numbers: {err}") from None


def _size(data: Any) -> int:
    return len(json.dumps(data, ensure_ascii=False, default=str))


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f" … ({len(text):,} characters in all)"


def _cut_values(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _cut(v, ROW_VALUE_CHARS) if isinstance(v, str) else v for k, v in row.items()}


def fit(data: dict[str, Any], budget: ResultBudget) -> dict[str, Any]:
    """`data` (a result as JSON) within the budget. Rows past `budget.rows` go first and strings longer than a
    quarter of the budget are shortened, then rows from the end until the JSON fits, then strings again;
    `rows_total` and `truncated` say what was left out. A result that lists rows does not repeat them as
    `records`."""
    data = dict(data)
    truncated = told = bool(data.get("truncated"))

    def shorten_strings(limit: int) -> bool:
        cut = False
        for key, value in data.items():
            if isinstance(value, str) and len(value) > limit:
                data[key], cut = _cut(value, limit), True
        return cut

    rows = data.get("rows")
    if isinstance(rows, list) and rows:  # the rows name the records and hold the listed answer: say them once
        data.pop("records", None)
        if isinstance(data.get("provenance"), dict):
            data["provenance"] = {k: v for k, v in data["provenance"].items() if k != "records"}
        if isinstance(data.get("answer"), str):
            data["answer"] = _cut(data["answer"], ANSWER_CHARS)
    for key, value in data.items():
        if isinstance(value, list) and key != "rows" and len(value) > LIST_ITEMS:
            data[key], truncated = value[:LIST_ITEMS], True
        elif isinstance(value, dict):
            data[key] = {k: v[:LIST_ITEMS] if isinstance(v, list) else v for k, v in value.items()}
    truncated = shorten_strings(budget.chars // 4) or truncated
    if isinstance(rows, list):
        # a total the tool could not know (typed Cypher read only as far as its page: truncated) stays unknown
        total = data.get("rows_total")
        if total is None and not told:
            total = len(rows)
        kept = [_cut_values(r) if isinstance(r, dict) else r for r in rows[:budget.rows]]
        data.update(rows=kept, rows_total=total, truncated=True)  # measured as they will be sent
        while kept and _size(data) > budget.chars:
            del kept[max(1, len(kept) * 3 // 4):]  # a quarter at a time, keeping at least one row
            if len(kept) == 1 and _size(data) > budget.chars:
                kept.clear()
        data["rows_total"] = total
        truncated = truncated or len(kept) < len(rows) or (total is not None and len(kept) < total)
    data["truncated"] = True
    share = budget.chars // 8
    while _size(data) > budget.chars and share > 100:
        truncated = shorten_strings(share) or truncated
        share //= 2
    data["truncated"] = truncated
    return data
