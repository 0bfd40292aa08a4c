"""Checks of the files and folders a user names on the command line, so that a wrong path is one
message naming it, before any work is done."""

import os
from pathlib import Path

from kg.errors import GeneverseError


class BadPath(GeneverseError):
    """A path the command cannot read from or write to."""


def _non_empty(path: str | Path, option: str) -> Path:
    # An empty path would silently mean the current folder.
    if not str(path).strip():
        raise BadPath(f"{option} is empty: give a path.")
    return Path(path).expanduser()


def _writable_parent(path: Path, option: str) -> None:
    """The nearest existing folder above `path` must be a folder this process may write in."""
    ancestor = path.absolute().parent
    while not ancestor.exists() and not ancestor.is_symlink():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise BadPath(f"{option} {path}: {ancestor} is not a folder.")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise BadPath(f"{option} {path}: no permission to write in {ancestor}.")


def output_file(path: str | Path, option: str) -> Path:
    """A file the command will write: not a folder, in a folder that can be written."""
    checked = _non_empty(path, option)
    if checked.is_dir():
        raise BadPath(f"{option} {checked} is a folder; give a file path.")
    if checked.exists() and not os.access(checked, os.W_OK):
        raise BadPath(f"{option} {checked}: no permission to write it.")
    _writable_parent(checked, option)
    return checked


def _can_be_made(folder: Path, option: str) -> None:
    """Permissions are not the whole story (/proc, a read-only mount): make the folder and take it away again,
    so the command fails now, with one message, and leaves nothing behind when it fails later."""
    first_missing = folder
    while not first_missing.parent.exists():
        first_missing = first_missing.parent
    try:
        folder.mkdir(parents=True)
    except OSError as err:
        raise BadPath(f"{option} {folder}: cannot create the folder ({err.strerror}).") from None
    while True:
        folder.rmdir()
        if folder == first_missing:
            break
        folder = folder.parent


def output_folder(path: str | Path, option: str) -> Path:
    """A folder the command will write into: a folder (or a path that can become one), not a file."""
    checked = _non_empty(path, option)
    if checked.exists() and not checked.is_dir():
        raise BadPath(f"{option} {checked} is a file, not a folder.")
    if checked.is_dir():
        if not os.access(checked, os.W_OK | os.X_OK):
            raise BadPath(f"{option} {checked}: no permission to write in it.")
    else:
        _writable_parent(checked, option)
        _can_be_made(checked, option)
    return checked


def input_text_file(path: str | Path, option: str) -> Path:
    """A UTF-8 text file the command will read."""
    checked = _non_empty(path, option)
    if not checked.is_file():
        raise BadPath(f"{option} {checked}: {'a folder, not a file' if checked.is_dir() else 'no such file'}.")
    try:
        with open(checked, encoding="utf-8") as handle:
            for _ in handle:  # decode it all now: a binary file fails here, not halfway through the work
                pass
    except UnicodeDecodeError as err:
        raise BadPath(f"{option} {checked} is not UTF-8 text ({err.reason}); give a text file.") from None
    except OSError as err:
        raise BadPath(f"{option} {checked}: {err.strerror or err}.") from None
    return checked
