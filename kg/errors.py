"""Errors a user can cause. Every interface prints `str(err)` and exits non-zero; no traceback."""


def shorten(text: str, limit: int = 100) -> str:
    """User input as an error message repeats it: at most `limit` characters."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


class GeneverseError(Exception):
    """Base of every user-facing error in Geneverse."""

    exit_code = 1


class ParseError(GeneverseError):
    def __init__(self, path: str, line: int, message: str):
        self.path, self.line = path, line
        super().__init__(f"{path}:{line}: {message}")


class GeneNotFound(GeneverseError):
    def __init__(self, name: str, suggestions: list[str] | None = None):
        self.name, self.suggestions = name, suggestions or []
        hint = f" Closest official symbols: {', '.join(self.suggestions)}." if self.suggestions else ""
        super().__init__(f"No gene named '{shorten(name)}' in the graph.{hint}")


class AmbiguousName(GeneverseError):
    def __init__(self, name: str, candidates: list):
        self.name, self.candidates = name, candidates
        listed = "; ".join(f"{c.symbol} ({c.hgnc_id or c.gene_id}, {c.reason})" for c in candidates)
        super().__init__(f"'{shorten(name)}' is ambiguous: it names {len(candidates)} genes, the first two about "
                         f"equally likely: {listed}.")


class GraphNotBuilt(GeneverseError):
    def __init__(self, where: str):
        super().__init__(f"No gene graph at {where}. Build it first: geneverse kg build")


class BackendUnavailable(GeneverseError):
    pass


class ReadOnlyViolation(GeneverseError):
    """A query tried to write or call a procedure; it was rejected before execution."""


class OfflineError(GeneverseError):
    pass
