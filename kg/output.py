"""Printing for every command: JSON when asked, a rich rendering otherwise."""

import json
import sys
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def to_jsonable(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [to_jsonable(v) for v in obj]
    return obj


def emit(obj: Any, as_json: bool, render: Callable[[Any], None] | None = None) -> None:
    """Print `obj` as one JSON document, or through `render` (default: pretty JSON via rich)."""
    if as_json:
        sys.stdout.write(json.dumps(to_jsonable(obj), ensure_ascii=False) + "\n")
        sys.stdout.flush()
    elif render is not None:
        render(obj)
    else:
        console.print_json(json.dumps(to_jsonable(obj), ensure_ascii=False))
