"""DNA input for Enformer: one-hot encoding, N-padding, reverse complement, FASTA reading.

Encoding follows Enformer and Basenji: A, C, G, T are one-hot columns in that order and N (also
padding past a contig end) is all zeros, so padding carries no base information.
"""

from pathlib import Path

import numpy as np

from tools.tracks.errors import SequenceError

BASES = "ACGT"
AMBIGUITY_CODES = "RYKMSWBDHV"  # IUPAC codes found in some genome builds; read as N

_COLUMN = np.full(256, -1, dtype=np.int8)
for _column, _base in enumerate(BASES):
    _COLUMN[ord(_base)] = _COLUMN[ord(_base.lower())] = _column
for _code in "N" + AMBIGUITY_CODES:
    _COLUMN[ord(_code)] = _COLUMN[ord(_code.lower())] = 4


def one_hot(sequence: str, *, allow_ambiguity: bool = False) -> np.ndarray:
    """(length, 4) float32 one-hot of ACGT; N is zeros. Raises SequenceError on any other letter."""
    raw = np.frombuffer(sequence.encode("ascii", errors="replace"), dtype=np.uint8)
    columns = _COLUMN[raw]
    invalid = columns < 0
    if not allow_ambiguity:
        invalid |= np.isin(raw, np.frombuffer((AMBIGUITY_CODES + AMBIGUITY_CODES.lower()).encode(), np.uint8))
    if invalid.any():
        position = int(np.argmax(invalid))
        letters = sorted({chr(c) for c in raw[invalid][:1000]})
        raise SequenceError(
            f"sequence has letters outside A, C, G, T, N: {', '.join(map(repr, letters))} "
            f"(first at position {position + 1})"
        )
    encoded = np.zeros((len(columns), 5), dtype=np.float32)
    encoded[np.arange(len(columns)), columns] = 1.0
    return encoded[:, :4]


def reverse_complement(encoded: np.ndarray) -> np.ndarray:
    """Reverse complement of one-hot sequences (..., length, 4): ACGT order makes it a double flip."""
    return encoded[..., ::-1, ::-1]


def pad_to_window(encoded: np.ndarray, length: int) -> tuple[np.ndarray, int]:
    """Centre a one-hot sequence in a window of `length` bp of N; returns it and the left padding."""
    if len(encoded) > length:
        raise SequenceError(
            f"sequence is {len(encoded):,} bp but the model reads windows of {length:,} bp; "
            "give a shorter sequence or a genomic region"
        )
    if len(encoded) == 0:
        raise SequenceError("sequence is empty")
    left = (length - len(encoded)) // 2
    window = np.zeros((length, 4), dtype=np.float32)
    window[left : left + len(encoded)] = encoded
    return window, left


def read_fasta_record(path: str | Path, record: str | None = None) -> tuple[str, str]:
    """The first record of a small FASTA file (or the one named `record`): (name, sequence)."""
    path = Path(path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise SequenceError(f"cannot read FASTA file {path}: {err}") from err
    records: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(">"):
            records.append((line[1:].split()[0] if line[1:].strip() else "", []))
        elif line:
            if not records:
                raise SequenceError(f"{path} is not FASTA: no '>' header before the first sequence line")
            records[-1][1].append(line)
    if not records:
        raise SequenceError(f"{path} holds no FASTA record")
    if record is None:
        name, lines = records[0]
    else:
        found = [r for r in records if r[0] == record]
        if not found:
            raise SequenceError(f"{path} has no record named {record!r}; it has {', '.join(r[0] for r in records[:10])}")
        name, lines = found[0]
    return name, "".join(lines)


class GenomeFasta:
    """Indexed random access to a genome FASTA (pyfaidx); windows past a contig end are N-padded."""

    def __init__(self, path: str | Path):
        from pyfaidx import Fasta, FastaIndexingError

        self.path = Path(path)
        if not self.path.is_file():
            raise SequenceError(f"genome FASTA not found: {self.path}")
        try:
            self._fasta = Fasta(str(self.path), as_raw=True, sequence_always_upper=True)
        except (FastaIndexingError, OSError, ValueError) as err:
            raise SequenceError(
                f"cannot index genome FASTA {self.path} ({err}); it must be plain or bgzip-compressed FASTA "
                "in a folder where the .fai index can be written (or index it once with `samtools faidx`)"
            ) from err

    def contig(self, chromosome: str) -> str:
        """The FASTA's name for a chromosome given as '8' or 'chr8'."""
        bare = chromosome.removeprefix("chr")
        for name in (chromosome, f"chr{bare}", bare, "chrM" if bare in ("M", "MT") else "MT"):
            if name in self._fasta:
                return name
        raise SequenceError(f"chromosome {chromosome!r} is not in {self.path}")

    def window(self, chromosome: str, start0: int, end0: int) -> str:
        """Bases [start0, end0) (0-based, half-open), N where the window runs past the contig."""
        name = self.contig(chromosome)
        size = len(self._fasta[name])
        if start0 >= size or end0 <= 0:
            raise SequenceError(f"window {name}:{start0 + 1}-{end0} lies outside {name} ({size:,} bp)")
        bases = str(self._fasta[name][max(0, start0) : min(size, end0)])
        return "N" * max(0, -start0) + bases + "N" * max(0, end0 - size)
