"""What every interface (command line, HTTP API, MCP server) accepts as a question."""

import re

from kg.errors import GeneverseError, shorten
from kg.readonly import normalise

# Anything longer is not a question, and would only slow the entity linker down.
MAX_QUESTION_CHARS = 2000
_UNDECODED = re.compile("[\ud800-\udfff]")  # bytes that were not UTF-8 reach Python as lone surrogates


class BadInput(GeneverseError):
    """A question, batch file or text the command cannot read."""


def check_question(question: str) -> str:
    """The question in NFKC without format characters (so fullwidth or zero-width letters read as what
    they look like), or BadInput when it is empty, not UTF-8 or longer than the cap."""
    question = normalise(question)
    if not question.strip():
        raise BadInput("The question is empty.")
    if _UNDECODED.search(question):
        raise BadInput("The question is not UTF-8 text.")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadInput(f"The question has {len(question):,} characters; the limit is {MAX_QUESTION_CHARS:,}: "
                       f"{shorten(question)!r}")
    return question
