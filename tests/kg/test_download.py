"""`download_releases` against a real HTTP server on 127.0.0.1 serving real release files."""

import gzip
import hashlib
import json
import shutil
import socket
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest
from fixtures.local_http import closed_port, serve

from kg.download import SOURCES, DownloadFailed, Source, download_releases
from kg.errors import OfflineError
from kg.paths import data_dir

GO_SLIM = data_dir() / "go" / "goslim_generic.obo"


class ReleaseServer(SimpleHTTPRequestHandler):
    """Serves a folder; under /truncated/ it declares the full length but sends half and hangs up."""

    def do_GET(self):
        if not self.path.startswith("/truncated/"):
            return super().do_GET()
        body = (Path(self.directory) / self.path.removeprefix("/truncated/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def release_site(tmp_path):
    """A real HTTP server whose root holds a real GO release file."""
    root = tmp_path / "site"
    (root / "go").mkdir(parents=True)
    shutil.copy(GO_SLIM, root / "go" / "go-basic.obo")
    with serve(partial(ReleaseServer, directory=str(root))) as url:
        yield url, root


def go_catalog(url: str) -> dict[str, Source]:
    return {"go": Source(url, "go/go-basic.obo", "GO")}


def test_streams_the_file_and_records_it_in_the_manifest(release_site, tmp_path, capsys):
    url, root = release_site
    dest = tmp_path / "data"
    served = (root / "go" / "go-basic.obo").read_bytes()

    [release] = download_releases(dest, catalog=go_catalog(f"{url}/go/go-basic.obo"))

    assert (dest / "go" / "go-basic.obo").read_bytes() == served
    assert release.bytes == len(served)
    assert release.sha256 == hashlib.sha256(served).hexdigest()
    manifest = json.loads((dest / "releases.json").read_text())
    entry = manifest["go"]
    assert entry["url"] == f"{url}/go/go-basic.obo"
    assert entry["bytes"] == len(served)
    assert entry["sha256"] == release.sha256
    assert datetime.fromisoformat(entry["fetched_at"]).tzinfo is not None
    assert not list(dest.rglob("*.part"))
    # progress and the checksum line go to stderr, so `--json` output on stdout stays clean
    assert capsys.readouterr().out == ""


def test_manifest_keeps_entries_of_other_sources(release_site, tmp_path):
    url, _ = release_site
    dest = tmp_path / "data"
    catalog = {
        "go": Source(f"{url}/go/go-basic.obo", "go/go-basic.obo", "GO"),
        "go_copy": Source(f"{url}/go/go-basic.obo", "go/copy.obo", "GO again"),
    }
    download_releases(dest, ["go"], progress=False, catalog=catalog)
    download_releases(dest, ["go_copy"], progress=False, catalog=catalog)

    manifest = json.loads((dest / "releases.json").read_text())
    assert set(manifest) == {"go", "go_copy"}
    assert manifest["go"]["sha256"] == manifest["go_copy"]["sha256"]


def test_interrupted_download_leaves_the_previous_file_intact(release_site, tmp_path):
    url, _ = release_site
    dest = tmp_path / "data"
    previous = dest / "go" / "go-basic.obo"
    previous.parent.mkdir(parents=True)
    previous.write_text("format-version: 1.2\ndata-version: the previous release\n")
    before = previous.read_bytes()

    with pytest.raises(DownloadFailed, match="broke off after .* was left as it was"):
        download_releases(dest, progress=False, catalog=go_catalog(f"{url}/truncated/go/go-basic.obo"))

    assert previous.read_bytes() == before
    assert not list(dest.rglob("*.part"))
    assert not (dest / "releases.json").exists()


def test_http_error_replaces_nothing(release_site, tmp_path):
    url, _ = release_site
    dest = tmp_path / "data"
    with pytest.raises(DownloadFailed, match="HTTP 404"):
        download_releases(dest, progress=False, catalog=go_catalog(f"{url}/go/no-such-release.obo"))
    assert not (dest / "go" / "go-basic.obo").exists()
    assert not list(dest.rglob("*.part"))


def test_versioned_release_is_picked_from_the_directory_listing(tmp_path):
    """GENCODE names its files by release number: the newest GTF in the listing is the one fetched."""
    root = tmp_path / "latest_release"
    root.mkdir()
    gtf = (data_dir() / "enformer" / "small_examples" / "borzoi_CD99_example.gtf").read_bytes()
    for name in (
        "gencode.v98.annotation.gtf.gz",
        "gencode.v99.annotation.gtf.gz",
        "gencode.v99.annotation.gff3.gz",
    ):
        (root / name).write_bytes(gzip.compress(gtf))
    dest = tmp_path / "data"
    with serve(partial(ReleaseServer, directory=str(root))) as url:
        source = SOURCES["gencode"]
        catalog = {"gencode": Source(f"{url}/", source.target, source.description, pick=source.pick)}
        [release] = download_releases(dest, progress=False, catalog=catalog)

    assert release.url == f"{url}/gencode.v99.annotation.gtf.gz"
    assert gzip.decompress((dest / source.target).read_bytes()) == gtf


@pytest.mark.parametrize(
    "url",
    [f"http://127.0.0.1:{closed_port()}/go-basic.obo", "https://releases.geneverse.invalid/go-basic.obo"],
    ids=["refused", "unresolvable"],
)
def test_unreachable_host_fails_with_one_offline_message(url, tmp_path):
    dest = tmp_path / "data"
    with pytest.raises(OfflineError, match="Cannot reach"):
        download_releases(dest, progress=False, catalog=go_catalog(url))
    assert not dest.exists()


def test_silent_server_fails_offline_after_the_probe_timeout(tmp_path):
    """A host that accepts connections but never answers must not hang the command."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/go-basic.obo"
        with pytest.raises(OfflineError, match="no answer in time"):
            download_releases(tmp_path / "data", progress=False, catalog=go_catalog(url), probe_timeout=0.3)


def test_unknown_source_name_lists_the_known_ones(tmp_path):
    with pytest.raises(DownloadFailed, match="known: hgnc, gene_info"):
        download_releases(tmp_path, ["hgnc", "ensembl"], progress=False)


def test_source_table_targets_are_distinct_relative_paths():
    targets = [s.target for s in SOURCES.values()]
    assert len(set(targets)) == len(targets)
    assert all(not Path(t).is_absolute() and ".." not in Path(t).parts for t in targets)
    assert all(s.url.startswith("https://") for s in SOURCES.values())
