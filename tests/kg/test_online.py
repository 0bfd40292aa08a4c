"""`fetch_mygene` through the real `mygene` client, against a local HTTP server that answers with
recorded MyGene.info responses (tests/kg/fixtures/mygene_*.json) and with 404 to anything unrecorded."""

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from fixtures.local_http import closed_port, serve
from mygene import MyGeneInfo
from typer.testing import CliRunner

from kg import cli as kg_cli
from kg.backends import ladybug
from kg.errors import AmbiguousName, BackendUnavailable, GeneNotFound, OfflineError
from kg.online import NotOnMyGene, fetch_mygene, mygene_client, mygene_query
from kg.paths import graph_dir
from kg.schema import load_rows, schema

FIXTURES = Path(__file__).parent / "fixtures"


class RecordedMyGene(BaseHTTPRequestHandler):
    recordings = json.loads((FIXTURES / "mygene_requests.json").read_text())

    def do_GET(self):
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        for recording in self.recordings:
            if recording["path"] == url.path and recording["params"] == params:
                return self._send(200, (FIXTURES / recording["response"]).read_bytes())
        self._send(404, json.dumps({"success": False, "error": "no recorded response"}).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def mygene_url():
    with serve(RecordedMyGene) as url:
        yield f"{url}/v3"


def test_alias_gives_the_gene_with_its_identifiers_and_provenance(mygene_url):
    gene = fetch_mygene("HER2", mygene_client(mygene_url))

    assert gene.symbol == "ERBB2"
    assert (gene.gene_id, gene.hgnc_id, gene.entrez_id) == ("HGNC:3430", "HGNC:3430", "2064")
    assert gene.ensembl_id == "ENSG00000141736"
    assert gene.uniprot_ids == ["P04626"]
    assert gene.omim_id == "164870"
    assert (gene.chromosome, gene.cytoband) == ("17", "17q12")
    assert (gene.start, gene.end, gene.strand, gene.tss) == (39687914, 39730426, "+", 39687914)
    assert gene.is_protein_coding and gene.locus_type == "protein-coding"
    assert {"HER2", "NEU", "CD340"} <= set(gene.aliases)
    assert gene.name == "erb-b2 receptor tyrosine kinase 2"
    assert gene.summary.startswith("This gene encodes a member of the epidermal growth factor (EGF) receptor")
    assert gene.model_dump(mode="json")["source"] == "MyGene.info"


def test_a_plain_mygene_client_pointed_at_the_service_works(mygene_url):
    client = MyGeneInfo()
    client.url = mygene_url
    assert fetch_mygene("HER2", client).symbol == "ERBB2"


def test_versioned_ensembl_id_of_a_pseudoautosomal_gene(mygene_url):
    gene = fetch_mygene("ENSG00000002586.19", mygene_client(mygene_url))

    assert (gene.symbol, gene.gene_id) == ("CD99", "HGNC:7082")
    # two loci (X and Y) and two MIM ids in the record: the X locus and the first MIM id are kept
    assert (gene.chromosome, gene.start, gene.end, gene.strand) == ("X", 2691133, 2741309, "+")
    assert gene.omim_id == "313470"
    assert gene.cytoband == "X;Y"


def test_gene_without_hgnc_or_ensembl_ids_is_keyed_by_its_entrez_id(mygene_url):
    gene = fetch_mygene("PNKY", mygene_client(mygene_url))

    assert (gene.gene_id, gene.entrez_id, gene.hgnc_id, gene.ensembl_id) == (
        "NCBIGene:105447646",
        "105447646",
        None,
        None,
    )
    assert (gene.locus_group, gene.locus_type, gene.omim_id) == ("non-coding RNA", "ncRNA", "616328")
    assert not gene.is_protein_coding
    assert (gene.chromosome, gene.cytoband) == ("6", "6q16.1")  # from the cytoband: no genomic_pos
    assert (gene.start, gene.end, gene.tss, gene.uniprot_ids, gene.aliases) == (None, None, None, [], [])


def test_alias_of_several_genes_lists_every_candidate(mygene_url):
    with pytest.raises(AmbiguousName) as raised:
        fetch_mygene("PACAP", mygene_client(mygene_url))

    assert {c.symbol for c in raised.value.candidates} == {"ADCYAP1", "MZB1"}
    assert {c.hgnc_id for c in raised.value.candidates} == {"HGNC:241", "HGNC:30125"}
    assert "ADCYAP1" in str(raised.value) and "MZB1" in str(raised.value)


def test_unknown_name_is_not_found_on_mygene(mygene_url):
    with pytest.raises(GeneNotFound, match="MyGene.info knows no human gene named 'NOTAGENE1'") as raised:
        fetch_mygene("NOTAGENE1", mygene_client(mygene_url))
    assert isinstance(raised.value, NotOnMyGene)


def test_service_error_is_one_clear_message(mygene_url):
    with pytest.raises(BackendUnavailable, match="MyGene.info answered HTTP 404"):
        fetch_mygene("HER2", mygene_client(mygene_url.replace("/v3", "/v2")))


@pytest.mark.parametrize(
    "url",
    [f"http://127.0.0.1:{closed_port()}/v3", "https://mygene.geneverse.invalid/v3"],
    ids=["refused", "dns"],
)
def test_offline_is_one_clear_message(url):
    with pytest.raises(OfflineError, match="Cannot reach MyGene.info"):
        fetch_mygene("HER2", mygene_client(url))


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("HGNC:3430", "HGNC:3430"),
        ("ensg00000141736.13", "ensembl.gene:ENSG00000141736"),
        ("2064", "entrezgene:2064"),
        ("OMIM:164870", "MIM:164870"),
        ("p185(erbB2)", 'symbol:"p185(erbB2)" OR alias:"p185(erbB2)"'),
        # P2RY12 is a symbol shaped like a UniProt accession: asked as both
        ("P2RY12", 'symbol:"P2RY12" OR alias:"P2RY12" OR uniprot:P2RY12'),
    ],
)
def test_identifiers_go_to_the_field_that_holds_them(name, query):
    assert mygene_query(name)[0] == query


def test_cli_answers_from_mygene_for_a_gene_the_graph_lacks(graph, mygene_url, monkeypatch, tmp_path):
    local = graph.gene("PNKY")  # the full graph holds it as an NCBI-only gene ...
    assert (local.source, local.entrez_id) == ("NCBI Gene", "105447646")
    tables = {label: [] for label in schema()}  # ... a graph of TP53 alone lacks it
    tables["Gene"] = load_rows("Gene", [graph.gene("TP53").model_dump()])
    ladybug.build(tables, graph_dir(tmp_path), manifest={})
    monkeypatch.setenv("GENEVERSE_HOME", str(tmp_path))
    monkeypatch.setenv("GENEVERSE_MYGENE_URL", mygene_url)
    runner = CliRunner()

    local_only = runner.invoke(kg_cli.app, ["gene", "PNKY", "--json"])
    assert isinstance(local_only.exception, GeneNotFound)

    online = runner.invoke(kg_cli.app, ["gene", "PNKY", "--online", "--json"])
    assert online.exit_code == 0, online.output
    record = json.loads(online.stdout)
    assert (record["symbol"], record["entrez_id"], record["source"]) == ("PNKY", "105447646", "MyGene.info")
