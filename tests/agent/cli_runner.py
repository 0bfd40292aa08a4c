"""The console entry point run in this process, as a user's command line runs it."""

import io
import sys

from agent.cli import main


def run_cli(monkeypatch, capsys, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of `geneverse ARGS`; `stdin`, when given, is piped in."""
    monkeypatch.setattr(sys, "argv", ["geneverse", *args])
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = 0
    try:
        main()
    except SystemExit as done:
        code = done.code or 0
    out, err = capsys.readouterr()
    return code, out, err
