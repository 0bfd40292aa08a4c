"""Variant effects on a tiny random Enformer (real 128 bp bins, real 5,313 outputs) and the real GATA4 window:
the arithmetic of ref against alt, the background, the ref check, VCF reading, the explanation, and every door
(CLI, ask, HTTP)."""

import gzip
import json
import re
import subprocess

import numpy as np
import pytest
from fastapi.testclient import TestClient

from agent.graph import GeneverseAgent
from agent.server import create_app
from kg.paths import data_dir
from tools.tracks.catalog import predicted_tracks
from tools.tracks.errors import SequenceError
from tools.tracks.model import ModelConfig, load_enformer
from tools.tracks.sequence import read_fasta_record
from tools.tracks.variant import (
    RawSequence,
    Variant,
    VariantConfig,
    parse_variant,
    percentile_of,
    read_vcf,
    score_variant,
    variant_request,
    z_score,
)
from tools.tracks.variant_report import describe_variant, explain_variants, find_effects

EXAMPLES = data_dir() / "enformer" / "small_examples"
GATA4_FASTA = EXAMPLES / "basenji_gata4.fa"
# The GATA4 window is the Basenji example, on hg19: chr8:11,496,144-11,627,216.
GATA4_START = 11_496_144
POSITION = 65_537  # 1-based within the window
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?(?![\w])")
COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


@pytest.fixture(scope="module")
def tiny():
    return load_enformer(ModelConfig.tiny(device="cpu", batch_size=4))


@pytest.fixture(scope="module")
def gata4() -> str:
    return read_fasta_record(GATA4_FASTA)[1].upper()


def _variant(sequence: str, position: int = POSITION) -> Variant:
    ref = sequence[position - 1]
    return Variant(position=position, ref=ref, alt="A" if ref != "A" else "G")


def _with(sequence: str, position: int, base: str) -> str:
    return sequence[: position - 1] + base + sequence[position:]


# --- reading variants ---------------------------------------------------------------------------------------

def test_variant_notations_and_clear_refusals():
    for written in ("chr8:11700000 G>A", "chr8:11,700,000:G:A", "8-11700000-G-A", "chr8 11700000 G A", "8:11700000g>a"):
        assert parse_variant(written) == Variant(chromosome="chr8", position=11_700_000, ref="G", alt="A"), written
    assert parse_variant("chrMT:73 A>G").chromosome == "chrM"
    assert parse_variant("65537 T>A") == Variant(position=65_537, ref="T", alt="A")
    for written, message in (("chr8:11700000 GA>A", "insertion or deletion"), ("chr8:11700000 G>G", "alt equals ref"),
                             ("rs12740374", "dbSNP is not in the graph"), ("chr8:11700000", "must look like"),
                             ("chr8:11700000 G><DEL>", "symbolic"), ("chr8:0 G>A", "1-based")):
        with pytest.raises(SequenceError, match=message):
            parse_variant(written)


def test_variants_are_found_in_questions():
    assert variant_request("What does chr1:109274968 G>T do in liver?") == ["chr1:109274968 G>T"]
    assert variant_request("Compare chrX:100,000A>C and chr2:5 T/G in K562") == ["chrX:100,000A>C", "chr2:5 T/G"]
    assert variant_request("Score the variants in runs/my_calls.vcf.gz, please") == ["runs/my_calls.vcf.gz"]
    for other in ("What is the effect of rs12740374 on SORT1 expression?",  # declined by the question reader
                  "Which genes are in chr1:100-2000?", "Genes near chr8:11700000?", "Is RS1 on chrX?",
                  "What is the official symbol of HER2?"):
        assert variant_request(other) == [], other


def test_vcf_multiallelic_lines_split_and_indels_are_listed(tmp_path):
    vcf = tmp_path / "calls.vcf.gz"
    with gzip.open(vcf, "wt") as f:
        f.write("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\n"
                "chr8\t11700000\trsA\tG\tA,T\t50\n"
                "8\t11700100\t.\tGA\tG\t50\n"
                "chr8\t11700200\t.\tC\tT,CTT,<DEL>\t50\n")
    variants, skipped = read_vcf(vcf)
    assert [v.label for v in variants] == ["chr8:11,700,000 G>A", "chr8:11,700,000 G>T", "chr8:11,700,200 C>T"]
    assert variants[0].id == "rsA" and variants[2].id is None
    assert [(s.line, "insertion or deletion" in s.reason or "symbolic" in s.reason) for s in skipped] == \
        [(4, True), (5, True), (5, True)]
    assert read_vcf(EXAMPLES / "basenji_rs339331.vcf")[0] == [
        Variant(chromosome="chr6", position=117_210_052, ref="T", alt="C", id="rs339331")]
    only_indels = tmp_path / "indels.vcf"
    only_indels.write_text("chr1\t100\t.\tA\tAT\n")
    with pytest.raises(SequenceError, match="no single-nucleotide substitution"):
        read_vcf(only_indels)
    not_vcf = tmp_path / "table.vcf"
    not_vcf.write_text("gene\tscore\nTP53\t1\n")
    with pytest.raises(SequenceError, match="line 1 is not a VCF record"):
        read_vcf(not_vcf)


# --- the arithmetic -----------------------------------------------------------------------------------------

def test_alt_equal_to_ref_gives_zero_everywhere(tiny, gata4):
    base = gata4[POSITION - 1]
    same = score_variant(Variant(position=POSITION, ref=base, alt=base), RawSequence(gata4, "GATA4"), tiny,
                         VariantConfig(background=0))
    assert same.sad.shape == same.log2fc.shape == (5313,)
    assert not same.sad.any() and not same.log2fc.any() and np.array_equal(same.ref, same.alt)


def test_swapping_ref_and_alt_negates_the_effects(tiny, gata4):
    variant = _variant(gata4)
    config = VariantConfig(background=0)
    forward = score_variant(variant, RawSequence(gata4, "GATA4"), tiny, config)
    backward = score_variant(variant.swapped(), RawSequence(_with(gata4, POSITION, variant.alt), "GATA4 alt"),
                             tiny, config)
    scale = np.abs(forward.sad).max()
    assert scale > 0
    np.testing.assert_allclose(backward.sad, -forward.sad, atol=1e-3 * scale)
    np.testing.assert_allclose(backward.log2fc, -forward.log2fc, atol=1e-3 * np.abs(forward.log2fc).max())


def test_reverse_complement_averaging_is_strand_symmetric(tiny, gata4):
    """The same variant read on either strand scores the same with reverse-complement averaging (shifts 0 and
    1 bp make the two strands' window sets mirror images of each other)."""
    variant = _variant(gata4)
    config = VariantConfig(background=0, reverse_complement=True, shifts=[0, 1])
    forward = score_variant(variant, RawSequence(gata4, "GATA4"), tiny, config)
    minus = gata4.translate(COMPLEMENT)[::-1]
    mirrored = Variant(position=len(gata4) - POSITION + 1, ref=variant.ref.translate(COMPLEMENT),
                       alt=variant.alt.translate(COMPLEMENT))
    reverse = score_variant(mirrored, RawSequence(minus, "GATA4 minus strand"), tiny, config)
    scale = np.abs(forward.sad).max()
    np.testing.assert_allclose(reverse.sad, forward.sad, atol=1e-3 * scale)
    np.testing.assert_allclose(reverse.ref, forward.ref[::-1], rtol=1e-4, atol=1e-6)
    plain = score_variant(variant, RawSequence(gata4, "GATA4"), tiny, VariantConfig(background=0))
    assert not np.allclose(plain.sad, forward.sad, atol=1e-3 * scale)  # the averaging did something


def test_background_percentiles_are_bounded_seeded_and_rank_the_effects(tiny, gata4):
    variant = _variant(gata4)
    config = VariantConfig(background=12, seed=3)
    effects = score_variant(variant, RawSequence(gata4, "GATA4"), tiny, config)
    assert effects.background_sad.shape == (12, 5313)
    positions = effects.background_positions
    assert len(set(positions)) == 12 and variant.position not in positions
    assert all(gata4[p - 1] in "ACGT" for p in positions)
    percentile = effects.percentile
    assert ((percentile >= 0) & (percentile <= 100)).all()
    bigger = np.abs(effects.sad)[None, :] > np.abs(effects.background_sad)
    assert np.array_equal(percentile == 100, bigger.all(axis=0))
    assert score_variant(variant, RawSequence(gata4, "GATA4"), tiny, config).background_positions == positions
    assert score_variant(variant, RawSequence(gata4, "GATA4"), tiny,
                         config.model_copy(update={"seed": 4})).background_positions != positions
    background = np.random.default_rng(0).normal(size=(50, 3))
    effect = np.array([0.1, 1.0, 10.0])
    assert (percentile_of(2 * effect, background) >= percentile_of(effect, background)).all()
    assert percentile_of(np.full(3, 1e6), background).tolist() == [100.0] * 3
    assert percentile_of(np.zeros(3), background).tolist() == [0.0] * 3
    np.testing.assert_allclose(z_score(background.mean(axis=0), background), 0, atol=1e-12)


def test_ref_allele_is_checked_against_the_sequence(tiny, gata4):
    variant = _variant(gata4)
    wrong = variant.model_copy(update={"ref": next(b for b in "ACGT" if b not in (variant.ref, variant.alt))})
    with pytest.raises(SequenceError, match=f"ref allele {wrong.ref} of position 65,537 .* which has {variant.ref}"):
        score_variant(wrong, RawSequence(gata4, "GATA4"), tiny)
    with pytest.raises(SequenceError, match="an unknown base"):
        score_variant(Variant(position=10, ref="A", alt="G"), RawSequence("N" * 20 + gata4[:1000], "padded"), tiny)
    with pytest.raises(SequenceError, match="past the end"):
        score_variant(Variant(position=len(gata4) + 1, ref="A", alt="G"), RawSequence(gata4, "GATA4"), tiny)


# --- the explanation ----------------------------------------------------------------------------------------

def _numbers(findings) -> list[float]:
    found = []

    def walk(item):
        if isinstance(item, dict):
            [walk(v) for v in item.values()]
        elif isinstance(item, list):
            [walk(v) for v in item]
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            found.append(float(item))

    walk(findings.model_dump())
    return found


def _untraceable(text: str, findings, names: set[str]) -> list[str]:
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    values = _numbers(findings)
    return [n for n in NUMBER.findall(text)
            if not any(abs(float(n.replace(",", "")) - v) <= max(1e-12, 0.005 * abs(v)) for v in values)]


def test_explanation_states_only_the_findings(tiny, gata4, graph):
    tracks = predicted_tracks(graph, 5313)
    config = VariantConfig(background=8)
    effects = score_variant(_variant(gata4), RawSequence(gata4, "GATA4"), tiny, config)
    k562_dnase = [c for c, t in enumerate(tracks) if t.assay == "DNASE" and "K562" in t.biosample]
    findings = find_effects(effects, tracks, config, columns=k562_dnase, filters={"assay": "DNase", "biosample": "K562"})
    text = describe_variant(findings)
    assert findings.n_tracks == len(k562_dnase) and len(findings.top) == min(10, len(k562_dnase))
    assert {e.assay for e in findings.top} == {"DNASE"} and all("K562" in e.biosample for e in findings.top)
    assert "model predictions, not measurements" in text
    assert "DNase and ATAC measure chromatin accessibility" in text and "CAGE measures" not in text
    named = {t.biosample for t in tracks} | {t.name for t in tracks} | {t.mark for t in tracks}
    assert _untraceable(text, findings, named) == []
    strongest = findings.top[0]
    assert strongest.percentile == max(e.percentile for e in findings.top)
    assert f"In the strongest track ({strongest.track})" in text
    assert strongest.peak_offset_bp % 128 == 64  # the centre of a 128 bp bin, from the first base of the middle one


def _geneverse(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["geneverse", *args], check=False, capture_output=True, text=True, timeout=300)


def test_cli_writes_the_report_effects_and_plot_and_refuses_bad_input(graph_home, tmp_path):
    out = tmp_path / "run"
    args = ["tracks", "variant", "65537 T>A", "--sequence-file", str(GATA4_FASTA), "--random-weights", "tiny",
            "--device", "cpu", "--background", "4", "--biosample", "liver", "--out", str(out)]
    done = _geneverse(*args, "--json")
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    report = run["reports"][0]
    assert report["variant"] == "position 65,537 T>A" and report["findings"]["filters"] == {"biosample": "liver"}
    assert all("liver" in e["biosample"] for e in report["findings"]["top"])
    assert sorted(p.name for p in out.iterdir()) == ["effects.tsv", "seq_65537_T_A.png", "variants.json"]
    rows = (out / "effects.tsv").read_text().splitlines()
    assert len(rows) == 1 + 5313 and rows[0].split("\t")[6:8] == ["sad", "log2fc"]
    assert json.loads((out / "variants.json").read_text()) == run
    before = (out / "variants.json").read_text()
    failed = _geneverse(*[a if a != "65537 T>A" else "65537 G>A" for a in args])
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert "does not match the sequence, which has T" in " ".join(failed.stderr.split())
    assert (out / "variants.json").read_text() == before  # a failed run leaves the last one whole
    no_genome = _geneverse("tracks", "variant", "chr8:11700000 G>A", "--out", str(tmp_path / "x"))
    assert no_genome.returncode != 0 and "pass --fasta hg38.fa or set GENEVERSE_GENOME_FASTA" in \
        " ".join(no_genome.stderr.split())


# --- every door ---------------------------------------------------------------------------------------------

@pytest.fixture
def configured(tiny, gata4, tmp_path, monkeypatch):
    """Tiny weights and a chr8 genome holding the real GATA4 window at its hg19 place, as the environment
    names them; the variant is the window's middle base."""
    tiny.model.save_pretrained(tmp_path / "weights", safe_serialization=False)
    genome = tmp_path / "genome.fa"
    contig = "N" * (GATA4_START - 1) + gata4
    genome.write_text(">chr8\n" + "\n".join(contig[i : i + 1_000_000] for i in range(0, len(contig), 1_000_000)) + "\n")
    monkeypatch.setenv("GENEVERSE_ENFORMER_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("GENEVERSE_GENOME_FASTA", str(genome))
    variant = _variant(gata4)
    return f"chr8:{GATA4_START + POSITION - 1} {variant.ref}>{variant.alt}"


def test_ask_routes_variants_and_says_what_to_configure(graph, monkeypatch):
    monkeypatch.delenv("GENEVERSE_ENFORMER_WEIGHTS", raising=False)
    monkeypatch.delenv("GENEVERSE_GENOME_FASTA", raising=False)
    agent = GeneverseAgent(graph)
    answer = agent.ask("What does the variant chr8:11700000 G>A do to DNase accessibility in K562?")
    assert answer.route == "variant" and answer.error
    assert "GENEVERSE_ENFORMER_WEIGHTS" in answer.text and "GENEVERSE_GENOME_FASTA" in answer.text
    declined = agent.ask("What is the effect of rs12740374 on SORT1 expression in liver?")
    assert declined.error and "no dbSNP rsIDs" in declined.text and "chr:pos ref>alt" in declined.text
    indel = agent.ask("What does chr8:11700000 GA>G do?")
    assert "only single-nucleotide substitutions are scored" in indel.text


def test_ask_and_http_score_a_variant_with_configured_weights(graph, configured):
    agent = GeneverseAgent(graph)
    answer = agent.ask(f"What does {configured} do to DNase accessibility in K562?")
    assert answer.route == "variant" and answer.error is None, answer.text
    assert answer.text.startswith(f"Enformer predictions for {parse_variant(configured).label} (GRCh38)")
    assert answer.rows and all(r["assay"] == "DNASE" and "k562" in r["biosample"].lower() for r in answer.rows)
    assert "Nearest genes by TSS:" in answer.text and answer.provenance.tool == "tracks.variant"
    with TestClient(create_app(agent=agent, graph=graph)) as client:
        response = client.post("/variant", json={"variants": [configured], "assay": "CAGE", "background": 0})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["tool"] == "geneverse_variant" and {r["assay"] for r in body["rows"]} == {"CAGE"}
        assert "No background variants were scored" in body["text"]
        assert client.post("/variant", json={"variants": ["rs339331"]}).status_code == 400


def test_http_says_what_to_configure(graph, monkeypatch):
    monkeypatch.delenv("GENEVERSE_ENFORMER_WEIGHTS", raising=False)
    with TestClient(create_app(agent=GeneverseAgent(graph), graph=graph)) as client:
        response = client.post("/variant", json={"variants": ["chr8:11700000 G>A"]})
    assert response.status_code == 503 and "GENEVERSE_ENFORMER_WEIGHTS" in response.json()["error"]


def test_explain_variants_names_the_nearest_genes_of_a_genome_variant(tiny, graph, configured):
    import os

    from tools.tracks.sequence import GenomeFasta

    variant = parse_variant(configured)
    run = explain_variants([variant], source=GenomeFasta(os.environ["GENEVERSE_GENOME_FASTA"]), loaded=tiny,
                           graph=graph, config=VariantConfig(background=0))
    nearest = run.reports[0].findings.nearest_genes
    assert nearest and [g.distance_bp for g in nearest] == sorted(g.distance_bp for g in nearest)
    for gene in nearest:
        record = graph.gene(gene.symbol)
        assert gene.distance_bp == abs(record.tss - variant.position)
        assert gene.inside == (record.start <= variant.position <= record.end)
        assert gene.symbol in run.reports[0].text
    assert run.reports[0].records[: len(nearest)] == [g.gene_id for g in nearest]
