"""Builds refuse releases that would silently make a poorer graph, name the file and line of bad
input, say what happened to the previous graph when they fail or are interrupted, and clear away
what killed builds left behind. Graphs here are built from the first lines of every vendored file."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.build import SOURCE_FILES, build_graph
from kg.errors import ParseError
from kg.paths import data_dir, graph_dir

TINY_LINES = 400


def head(source: Path, target: Path, lines: int) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    gz = source.suffix == ".gz"
    with (gzip.open(source, "rb") if gz else open(source, "rb")) as handle:
        kept = b"".join(line for _, line in zip(range(lines), handle))
    with (gzip.open(target, "wb") if gz else open(target, "wb")) as out:
        out.write(kept)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory) -> Path:
    """Every release the build reads, cut to its first lines."""
    root = tmp_path_factory.mktemp("tiny-data")
    for rel in [*SOURCE_FILES.values(), *(p.relative_to(data_dir()) for p in (data_dir() / "go").iterdir())]:
        head(data_dir() / rel, root / rel, TINY_LINES)
    return root


def copy_data(tiny: Path, target: Path) -> Path:
    for path in tiny.rglob("*"):
        if path.is_file():
            (target / path.relative_to(tiny)).parent.mkdir(parents=True, exist_ok=True)
            (target / path.relative_to(tiny)).write_bytes(path.read_bytes())
    return target


@pytest.fixture(scope="module")
def tiny_home(tiny_data, tmp_path_factory) -> Path:
    """A home with a graph built from the tiny releases."""
    home = tmp_path_factory.mktemp("tiny-home")
    build_graph(home=home, data=tiny_data)
    return home


def geneverse(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from agent.cli import main; main()", *args],
                          check=False, capture_output=True, text=True, timeout=300, **kwargs)


def hgnc_lines(tiny_data: Path) -> list[bytes]:
    return gzip.decompress((tiny_data / SOURCE_FILES["hgnc"]).read_bytes()).splitlines(keepends=True)


@pytest.mark.parametrize("content", ["empty", "header only", "header and blank lines", "zero bytes"])
def test_source_without_records_is_refused(tiny_data, tiny_home, tmp_path, content):
    data = copy_data(tiny_data, tmp_path / "data")
    hgnc = data / SOURCE_FILES["hgnc"]
    header = hgnc_lines(tiny_data)[0]
    hgnc.write_bytes({"empty": gzip.compress(b""), "header only": gzip.compress(header),
                      "header and blank lines": gzip.compress(header + b"\n\n"), "zero bytes": b""}[content])
    before = graph_dir(tiny_home).resolve()
    with pytest.raises(ParseError, match=r"hgnc_complete_set.*no records"):
        build_graph(home=tiny_home, data=data)
    assert graph_dir(tiny_home).resolve() == before


def test_empty_hgnc_id_names_file_and_line(tiny_data, tmp_path):
    data = copy_data(tiny_data, tmp_path / "data")
    lines = hgnc_lines(tiny_data)
    lines[57] = b"\t" + lines[57].split(b"\t", 1)[1]
    (data / SOURCE_FILES["hgnc"]).write_bytes(gzip.compress(b"".join(lines)))
    with pytest.raises(ParseError, match=r"hgnc_complete_set_2024-10-18\.txt\.gz:58: empty hgnc_id"):
        build_graph(home=tmp_path / "home", data=data)


@pytest.mark.parametrize("line", [2, 300])
def test_invalid_utf8_names_its_line(tiny_data, tmp_path, line):
    data = copy_data(tiny_data, tmp_path / "data")
    lines = hgnc_lines(tiny_data)
    lines[line - 1] = lines[line - 1].replace(b"\t", b"\t\xff\xfe", 1)  # past the first decoding block at 300
    (data / SOURCE_FILES["hgnc"]).write_bytes(gzip.compress(b"".join(lines)))
    with pytest.raises(ParseError, match=rf"hgnc_complete_set_2024-10-18\.txt\.gz:{line}: not UTF-8"):
        build_graph(home=tmp_path / "home", data=data)


def test_far_fewer_genes_is_refused_unless_forced(tiny_data, tiny_home, tmp_path):
    data = copy_data(tiny_data, tmp_path / "data")
    (data / SOURCE_FILES["hgnc"]).write_bytes(gzip.compress(b"".join(hgnc_lines(tiny_data)[:21])))
    link = graph_dir(tiny_home)
    before = json.loads((link / "manifest.json").read_text())["hgnc_genes"]
    refused = geneverse("kg", "build", "--home", str(tiny_home), "--data", str(data), "--json")
    assert refused.returncode == 1 and "--force" in json.loads(refused.stdout)["error"]
    assert "Traceback" not in refused.stderr
    assert json.loads((link / "manifest.json").read_text())["hgnc_genes"] == before
    forced = geneverse("kg", "build", "--home", str(tiny_home), "--data", str(data), "--force", "--json")
    assert forced.returncode == 0 and json.loads(forced.stdout)["hgnc_genes"] == 20
    build_graph(home=tiny_home, data=tiny_data, force=True)  # as the other tests expect it


def test_unwritable_home_is_one_message_naming_the_folder(tiny_data, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = geneverse("kg", "build", "--home", str(blocker / "home"), "--data", str(tiny_data))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Cannot write the graph in" in result.stderr and "a-file" in result.stderr


def test_interrupted_build_says_the_previous_graph_is_kept(tiny_data, tiny_home, tmp_path):
    data = copy_data(tiny_data, tmp_path / "data")
    fifo = data / SOURCE_FILES["hgnc"]
    fifo.unlink()
    os.mkfifo(fifo)  # the build waits on it: a moment to interrupt that does not depend on timing
    before = graph_dir(tiny_home).resolve()
    # A runner started in the background of a script ignores SIGINT, and so would the build: Ctrl-C's handler
    # is set as a terminal would have it.
    ctrl_c = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    build = subprocess.Popen([sys.executable, "-c", ctrl_c + "from agent.cli import main; main()", "kg", "build",
                              "--home", str(tiny_home), "--data", str(data), "--json"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    writer = None
    for _ in range(600):  # the build opened the release once a writer can open it without blocking
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:
            time.sleep(0.1)
    assert writer is not None
    build.send_signal(signal.SIGINT)
    # The kernel may hand the signal to another thread (BLAS, tokenizers), leaving the main thread blocked in
    # its read of the release; the end of the file lets it run, and the pending interrupt is raised first.
    time.sleep(0.5)
    os.close(writer)
    out, err = build.communicate(timeout=60)
    assert build.returncode == 130 and "Traceback" not in err
    assert f"the previous graph is kept at {before}" in json.loads(out)["error"]
    assert graph_dir(tiny_home).resolve() == before


def test_next_build_removes_what_killed_builds_left(tiny_data, tiny_home):
    dead = 4_194_305  # above the largest pid Linux can hand out
    abandoned = tiny_home / f"graph-20260101-000000-{dead}"
    abandoned.mkdir()
    (abandoned / "genes.lbug").write_bytes(b"half a database")
    stale_link = tiny_home / f"graph.new-{dead}"
    stale_link.symlink_to(abandoned.name)
    build_graph(home=tiny_home, data=tiny_data, force=True)
    assert not abandoned.exists() and not stale_link.is_symlink()
    folders = [p for p in tiny_home.iterdir() if p.name.startswith("graph-")]
    assert folders == [graph_dir(tiny_home).resolve()]


@pytest.fixture
def full_disk(tmp_path):
    """A 2 MB file system, too small for any graph (needs the right to mount one)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2M", "tmpfs", str(mount)], check=False,
                          capture_output=True)
    if made.returncode:
        pytest.skip("cannot mount a small file system here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_full_disk_is_one_message_naming_the_folder(tiny_data, full_disk):
    result = geneverse("kg", "build", "--home", str(full_disk / "home"), "--data", str(tiny_data), "--json")
    error = json.loads(result.stdout)["error"]
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"Cannot write the graph in {full_disk / 'home'}: the disk is full" in error
    assert not [p for p in (full_disk / "home").iterdir() if p.name.startswith("graph")]
