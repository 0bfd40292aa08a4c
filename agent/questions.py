"""What every interface (command line, HTTP API, MCP server) accepts as a question."""

from kg.errors import GeneverseError, shorten
from kg.readonly import normalise, undecoded

# Anything longer is not a question, and would only slow the entity linker down.
MAX_QUESTION_CHARS = 2000
MAX_CORRECT_CHARS = 50_000  # text to post-correct: a long document, not a corpus


class BadInput(GeneverseError):
    """A question, batch file or text the command cannot read."""


def check_text(text: str, limit: int, what: str = "The text") -> str:
    """Text to read (stdin of `correct`, a document): NFKC, UTF-8, no NUL bytes, at most `limit` characters."""
    text = normalise(text)
    if not text.strip():
        raise BadInput(f"{what} is empty.")
    if undecoded(text) or "\x00" in text:
        raise BadInput(f"{what} is not UTF-8 text.")
    if len(text) > limit:
        raise BadInput(f"{what} has {len(text):,} characters; the limit is {limit:,}: {shorten(text)!r}")
    return text


def check_question(question: str) -> str:
    """The question in NFKC without format characters (so fullwidth or zero-width letters read as what
    they look like), or BadInput when it is empty, not UTF-8 (or holds NUL bytes) or longer than the cap."""
    return check_text(question, MAX_QUESTION_CHARS, "The question")
