"""Fresh releases of the graph's sources, fetched from their official sites.

Every file is streamed into a temporary file beside its target and renamed over the target only once it
is complete, so an interrupted or failed download leaves the previous release in place. `releases.json`
beside the files records, for each source, the URL it came from, its size, SHA-256 and fetch time.
Nothing here runs unless a download was asked for; without a network it fails fast with one message.
"""

import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import httpx
from pydantic import BaseModel
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from kg.errors import GeneverseError, OfflineError, ParseError
from kg.output import err_console

log = logging.getLogger(__name__)

MANIFEST_NAME = "releases.json"
PROBE_TIMEOUT_S = 5.0
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Source:
    url: str
    target: str  # path of the file under the data folder
    description: str
    # For releases whose file name carries a version (GENCODE): `url` is a directory listing and this
    # pattern, with the version number as its one group, picks the newest matching file from it.
    pick: str | None = None


# Enformer's tracks are DNase / ATAC, TF and histone ChIP and CAGE signal; ENCODE holds all but CAGE.
ENCODE_METADATA_URL = (
    "https://www.encodeproject.org/metadata/?type=Experiment&status=released"
    "&replicates.library.biosample.donor.organism.scientific_name=Homo+sapiens"
    "&assay_title=DNase-seq&assay_title=ATAC-seq&assay_title=TF+ChIP-seq&assay_title=Histone+ChIP-seq"
    "&files.file_type=bigWig&files.assembly=GRCh38"
)

SOURCES: dict[str, Source] = {
    "hgnc": Source(
        "https://storage.googleapis.com/public-download-files/hgnc/tsv/tsv/hgnc_complete_set.txt",
        "hgnc/hgnc_complete_set.txt",
        "HGNC complete set (genenames.org downloads)",
    ),
    "gene_info": Source(
        "https://ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz",
        "ncbi/Homo_sapiens.gene_info.gz",
        "NCBI Gene, human gene_info",
    ),
    "gene2go": Source(
        "https://ftp.ncbi.nlm.nih.gov/gene/DATA/gene2go.gz",
        "go/gene2go.gz",
        "NCBI gene2go: GO annotations of genes (all species)",
    ),
    "gencode": Source(
        "https://ftp.ebi.ac.uk/pub/databases/gencode/Gencode_human/latest_release/",
        "gencode/gencode.annotation.gtf.gz",
        "GENCODE human comprehensive gene annotation, current release (GTF)",
        pick=r"gencode\.v(\d+)\.annotation\.gtf\.gz",
    ),
    "encode": Source(
        ENCODE_METADATA_URL,
        "encode/metadata.tsv",
        "ENCODE portal metadata.tsv of human DNase, ATAC, TF and histone ChIP-seq signal files",
    ),
    "go": Source(
        "https://purl.obolibrary.org/obo/go/go-basic.obo",
        "go/go-basic.obo",
        "Gene Ontology, go-basic.obo",
    ),
    "clinvar": Source(
        "https://ftp.ncbi.nlm.nih.gov/pub/clinvar/gene_condition_source_id",
        "clinvar/gene_condition_source_id.txt",
        "ClinVar gene-condition table",
    ),
    "hpo": Source(
        "https://purl.obolibrary.org/obo/hp/hpoa/genes_to_disease.txt",
        "hpo/genes_to_disease.txt",
        "HPO genes_to_disease",
    ),
    "hpo_annotations": Source(
        "https://purl.obolibrary.org/obo/hp/hpoa/phenotype.hpoa",
        "hpo/phenotype.hpoa",
        "HPO phenotype.hpoa: the names of HPO's diseases",
    ),
    "hp_obo": Source(
        "https://purl.obolibrary.org/obo/hp.obo",
        "hpo/hp.obo",
        "Human Phenotype Ontology, hp.obo: term names and synonyms",
    ),
    "medgen": Source(
        "https://ftp.ncbi.nlm.nih.gov/pub/medgen/NAMES.RRF.gz",
        "medgen/NAMES.RRF.gz",
        "MedGen NAMES.RRF: every name of every MedGen concept",
    ),
}


class Release(BaseModel):
    name: str
    url: str
    path: str
    bytes: int
    sha256: str
    fetched_at: datetime


class DownloadFailed(GeneverseError):
    """A source answered with an error or the transfer broke off; the previous file is kept."""


def offline_error(what: str, url: str, err: httpx.TransportError) -> OfflineError:
    """One clear message for a network that is absent, or a server that does not answer."""
    reason = (
        "no answer in time" if isinstance(err, httpx.TimeoutException) else str(err) or type(err).__name__
    )
    return OfflineError(f"Cannot reach {what} at {httpx.URL(url).host} ({reason}). Is this machine offline?")


def check_reachable(url: str, what: str, timeout: float = PROBE_TIMEOUT_S) -> None:
    """Raise OfflineError within `timeout` seconds unless the server of `url` answers (any HTTP status)."""
    parsed = httpx.URL(url)
    try:
        httpx.head(f"{parsed.scheme}://{parsed.netloc.decode()}/", timeout=timeout)
    except httpx.TransportError as err:
        raise offline_error(what, url, err) from err


def download_releases(
    dest: Path,
    sources: list[str] | None = None,
    progress: bool = True,
    *,
    catalog: Mapping[str, Source] = SOURCES,
    probe_timeout: float = PROBE_TIMEOUT_S,
) -> list[Release]:
    """Fetch `sources` (names in `catalog`; default all) into `dest`, updating `dest/releases.json`.

    Files already fetched stay in place when a later one fails."""
    chosen = _choose(sources, catalog)
    first = catalog[chosen[0]]
    check_reachable(first.url, f"the '{chosen[0]}' source", probe_timeout)
    dest.mkdir(parents=True, exist_ok=True)
    manifest_path = dest / MANIFEST_NAME
    manifest = _read_manifest(manifest_path)
    timeout = httpx.Timeout(60.0, connect=probe_timeout)
    releases = []
    with httpx.Client(timeout=timeout, follow_redirects=True) as client, _progress_bar(progress) as bar:
        for name in chosen:
            release = _fetch(client, name, catalog[name], dest, bar)
            log.info("%s: %d bytes, sha256 %s, from %s", name, release.bytes, release.sha256, release.url)
            if progress:
                bar.console.print(f"{name}: {release.path} {release.bytes:,} bytes sha256 {release.sha256}")
            manifest[name] = release.model_dump(mode="json")
            _write_atomically(manifest_path, (json.dumps(manifest, indent=2) + "\n").encode())
            releases.append(release)
    return releases


def _choose(names: list[str] | None, catalog: Mapping[str, Source]) -> list[str]:
    chosen = list(catalog) if not names else list(dict.fromkeys(names))
    unknown = [n for n in chosen if n not in catalog]
    if unknown or not chosen:
        raise DownloadFailed(f"Unknown source {', '.join(unknown) or '(none)'}; known: {', '.join(catalog)}.")
    return chosen


def _fetch(client: httpx.Client, name: str, source: Source, dest: Path, bar: Progress) -> Release:
    url = _resolve(client, name, source)
    target = dest / source.target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    answered = False
    try:
        with os.fdopen(fd, "wb") as out, client.stream("GET", url) as response:
            answered = True
            _check_status(response, name)
            # httpx itself raises when the connection closes before the declared length arrived
            task = bar.add_task(name, total=_declared_length(response))
            for chunk in response.iter_bytes(CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                bar.update(task, completed=response.num_bytes_downloaded)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except httpx.TransportError as err:
        tmp.unlink(missing_ok=True)
        if not answered:
            raise offline_error(f"the '{name}' source", url, err) from err
        raise DownloadFailed(
            f"{name}: the transfer from {url} broke off after {size:,} bytes ({err}); {target} was left as it was."
        ) from err
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return Release(
        name=name,
        url=url,
        path=source.target,
        bytes=size,
        sha256=digest.hexdigest(),
        fetched_at=datetime.now(UTC),
    )


def _resolve(client: httpx.Client, name: str, source: Source) -> str:
    """The file URL of `source`: itself, or the newest file matching `source.pick` in its listing."""
    if source.pick is None:
        return source.url
    try:
        response = client.get(source.url)
    except httpx.TransportError as err:
        raise offline_error(f"the '{name}' source", source.url, err) from err
    _check_status(response, name)
    versions = {m.group(0): int(m.group(1)) for m in re.finditer(source.pick, response.text)}
    if not versions:
        raise DownloadFailed(f"{name}: no file matching {source.pick} is listed at {source.url}.")
    newest = max(versions, key=versions.__getitem__)
    return urljoin(str(response.url), newest)


def _check_status(response: httpx.Response, name: str) -> None:
    if response.is_error:
        raise DownloadFailed(
            f"{name}: {response.url} answered HTTP {response.status_code}; nothing was replaced."
        )


def _declared_length(response: httpx.Response) -> int | None:
    """Content-Length in bytes on the wire, when the server declared one."""
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else None


def _read_manifest(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ParseError(str(path), err.lineno, f"not a releases manifest: {err.msg}") from err


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Progress]:
    # On stderr, so that `--json` output on stdout stays one clean document.
    bar = Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=not enabled,
    )
    with bar:
        yield bar
