"""Streaming reader for the delimited release files that every parser shares."""

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path

from kg.errors import ParseError

csv.field_size_limit(1 << 24)


def open_text(path: Path) -> io.TextIOBase:
    if not Path(path).exists():
        raise ParseError(str(path), 0, "file not found")
    if str(path).endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def first_undecodable_line(path: Path) -> int:
    """The number of the first line that is not UTF-8. The text reader decodes ahead in blocks, so the
    line it was on when decoding failed is not the line at fault."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return line_no
    return 0


def not_utf8(path: Path, err: UnicodeDecodeError) -> ParseError:
    return ParseError(str(path), first_undecodable_line(path), f"not UTF-8 text ({err.reason})")


def no_records(path: Path, line_no: int) -> ParseError:
    """A release with no records would build a graph without its genes or links: refuse it."""
    return ParseError(str(path), line_no, "no records: the file is empty or holds only a header")


def read_rows(
    path: Path,
    required: list[str] | None = None,
    columns: list[str] | None = None,
    delimiter: str = "\t",
    quoting: int = csv.QUOTE_NONE,
    skip_prefix: str | None = None,
    preamble: str | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) pairs.

    With `required`, the first line is a header that must contain those columns; with
    `columns`, the file has no header and every row must have exactly that many fields.
    Lines before the header that start with `preamble` are skipped.
    """
    with open_text(path) as handle:
        reader = csv.reader(handle, delimiter=delimiter, quoting=quoting)
        header = columns
        records = 0
        try:
            for line_no, fields in enumerate(reader, start=1):
                if skip_prefix and fields and fields[0].startswith(skip_prefix) and header is not None:
                    continue
                if header is None:
                    if preamble and fields and fields[0].startswith(preamble):
                        continue
                    header = [f.lstrip("#").strip() for f in fields]
                    missing = [c for c in required or [] if c not in header]
                    if missing:
                        raise ParseError(str(path), line_no, f"header lacks column(s) {', '.join(missing)}")
                    continue
                if not fields or fields == [""]:
                    continue
                if len(fields) != len(header):
                    raise ParseError(
                        str(path), line_no, f"expected {len(header)} fields, found {len(fields)}"
                    )
                records += 1
                yield line_no, dict(zip(header, fields))
        except UnicodeDecodeError as err:
            raise not_utf8(path, err) from None
        except (csv.Error, EOFError, gzip.BadGzipFile) as err:
            raise ParseError(str(path), reader.line_num, f"unreadable: {err}") from None
        if not records:
            raise no_records(path, reader.line_num)


def split_multi(value: str, sep: str = "|") -> list[str]:
    """HGNC / NCBI multi-valued fields: `|`-separated, sometimes quoted, '-' or '' when empty."""
    value = value.strip().strip('"')
    if value in ("", "-"):
        return []
    return [v.strip() for v in value.split(sep) if v.strip()]


def optional(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", "-", "NA") else value


def parse_int(path: Path, line_no: int, value: str, column: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ParseError(str(path), line_no, f"column {column}: not an integer: {value!r}") from None


def chromosome_name(chrom: str) -> str:
    """UCSC 'chr17' / 'chrM' -> '17' / 'MT', the graph's chromosome names."""
    chrom = chrom.removeprefix("chr")
    return "MT" if chrom == "M" else chrom
