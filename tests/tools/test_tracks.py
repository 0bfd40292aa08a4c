"""Findings and explanations on the graph's real 5,313 Enformer tracks: synthetic signal with known
peaks, observed bigWig files, and the real GATA4 sequence through a tiny random Enformer."""

import json
import re
from collections import defaultdict

import numpy as np
import pytest

from kg.paths import data_dir
from tools.tracks.catalog import TrackInfo, predicted_tracks
from tools.tracks.errors import ModelNotConfigured, TrackFileError
from tools.tracks.explain import check_against_findings, describe
from tools.tracks.findings import find
from tools.tracks.predict import layout_around_gene
from tools.tracks.sequence import read_fasta_record

GATA4_FASTA = data_dir() / "enformer" / "small_examples" / "basenji_gata4.fa"
NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?(?![\w])")


@pytest.fixture(scope="module")
def tracks(graph) -> list[TrackInfo]:
    return predicted_tracks(graph, 5313)


def _background(n_bins: int, n_tracks: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).gamma(8.0, 0.125, size=(n_bins, n_tracks))  # mean 1, no structure


def _columns(tracks, mark: str, biosample: str) -> list[int]:
    return [c for c, t in enumerate(tracks) if t.mark == mark and t.biosample == biosample]


def _planted(tracks) -> dict[str, list[str]]:
    """Two biosamples with H3K27ac, H3K4me3 and DNase tracks under the same name, and one CTCF biosample."""
    marks_of = defaultdict(set)
    for t in tracks:
        marks_of[t.biosample].add(t.mark)
    full = sorted(b for b, m in marks_of.items() if {"H3K27ac", "H3K4me3", "DNase"} <= m)
    ctcf = sorted(b for b, m in marks_of.items() if "CTCF" in m and b not in full[:2])
    assert len(full) >= 2 and ctcf
    return {full[0]: ["H3K27ac", "H3K4me3", "DNase"], full[1]: ["H3K4me3", "DNase"], ctcf[0]: ["CTCF"]}


def _mentioned(text: str, names: set[str], flags=0) -> set[str]:
    return {n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text, flags)}


def _numbers_traceable(text: str, findings, tracks) -> list[str]:
    """Numbers in `text` (outside biosample and mark names) that no finding holds."""
    for name in sorted({t.biosample for t in tracks} | {t.mark for t in tracks}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text)
    values = []

    def walk(x):
        if isinstance(x, dict):
            [walk(v) for v in x.values()]
        elif isinstance(x, list):
            [walk(v) for v in x]
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            values.append(float(x))

    walk(findings.model_dump())
    return [n for n in NUMBER.findall(text)
            if not any(abs(float(n.replace(",", "")) - v) <= max(0.01, 0.005 * abs(v)) for v in values)]


def test_explanation_names_exactly_the_planted_biosamples_and_marks(graph, tracks):
    gata4 = graph.gene("GATA4")
    layout = layout_around_gene(gata4, bin_size=128, n_bins=896)
    signal = _background(896, len(tracks))
    planted = _planted(tracks)
    tss_bin = layout.gene.tss // 128
    for biosample, marks in planted.items():
        for mark in marks:
            signal[tss_bin - 2 : tss_bin + 3, _columns(tracks, mark, biosample)] += 9.0
    findings = find(signal, tracks, layout, kind="predicted")
    text = describe(findings)

    assert {r.biosample for r in findings.biosamples} == set(planted)
    assert findings.biosamples[0].biosample == next(iter(planted))  # three marks rank first
    every_biosample = {t.biosample for t in tracks}
    named = _mentioned(text, every_biosample, re.IGNORECASE)
    assert set(planted) <= named
    assert all(any(n.lower() in p.lower() for p in planted) for n in named), named - set(planted)
    chip_marks = {t.mark for t in tracks if t.assay == "CHIP"} - {"GATA4"}
    named_marks = _mentioned(text, chip_marks) | _mentioned(text, {"DNase", "ATAC", "CAGE"})
    assert named_marks == {m for marks in planted.values() for m in marks}
    first, second, _ = planted
    assert re.search(rf"In {re.escape(first)}, accessible chromatin and active histone marks agree", text)
    assert re.search(rf"In {re.escape(second)}, accessible chromatin and active histone marks agree", text)
    assert _numbers_traceable(text, findings, tracks) == []
    assert check_against_findings(text, findings, tracks).dropped == []
    assert "chr8:11,676,959" in text and "+ strand" in text
    assert {p.location for p in findings.peaks} == {"promoter"}
    assert all(p.width_bp == 640 and -192 <= p.offset_from_tss <= 320 for p in findings.peaks)  # planted bins


def test_flat_signal_gives_no_findings_and_says_so(graph, tracks):
    layout = layout_around_gene(graph.gene("GATA4"), bin_size=128, n_bins=896)
    findings = find(_background(896, len(tracks), seed=1), tracks, layout, kind="predicted")
    assert findings.biosamples == [] and findings.promoter == [] and findings.peaks == []
    text = describe(findings)
    assert "No track is at least 2-fold above its flanking background at the promoter" in text
    assert _mentioned(text, {t.biosample for t in tracks}) == set()


def test_minus_strand_gene_body_and_upstream_peaks(graph, tracks):
    tp53 = graph.gene("TP53")
    assert tp53.strand == "-"
    layout = layout_around_gene(tp53, bin_size=128, n_bins=896)
    signal = _background(896, len(tracks), seed=2)
    k562_h3k36 = _columns(tracks, "H3K36me3", "K562")
    body = slice(layout.gene.start // 128 + 2, layout.gene.tss // 128 - 10)
    signal[body, k562_h3k36] += 3.0  # elongation mark over the whole gene body
    upstream_bin = (layout.gene.tss + 20_000) // 128  # higher coordinate = upstream on the minus strand
    k562_dnase = _columns(tracks, "DNase", "K562")
    signal[layout.gene.tss // 128 - 2 : layout.gene.tss // 128 + 3, k562_dnase] += 6.0
    signal[upstream_bin, k562_dnase] += 12.0
    findings = find(signal, tracks, layout, kind="predicted")
    assert [(g.mark, g.biosample) for g in findings.gene_body] == [("H3K36me3", "K562")]
    assert findings.gene_body[0].fold > 2
    upstream = [p for p in findings.peaks if p.location == "upstream"]
    assert upstream and upstream[0].mark == "DNase" and -20_200 < upstream[0].offset_from_tss < -19_800
    assert upstream[0].position == layout.genomic(upstream_bin * 128 + 64)
    text = describe(findings)
    assert "Over the gene body, these marks are above background: H3K36me3" in text
    assert _numbers_traceable(text, findings, tracks) == []


def test_rewrite_check_drops_sentences_beyond_the_findings(graph, tracks):
    layout = layout_around_gene(graph.gene("GATA4"), bin_size=128, n_bins=896)
    signal = _background(896, len(tracks), seed=3)
    (biosample, marks), *_ = _planted(tracks).items()
    for mark in marks:
        signal[446:451, _columns(tracks, mark, biosample)] += 9.0
    findings = find(signal, tracks, layout, kind="predicted")
    fold = findings.promoter[0]
    other = next(t.biosample for t in tracks if t.biosample not in findings.biosample_names() and t.assay == "DNASE"
                 and t.biosample.lower() not in biosample.lower())
    rewritten = (
        f"GATA4 looks active in {biosample}. "
        f"{fold.mark} is {fold.fold}-fold above background there. "
        f"The promoter is also open in {other}. "
        "H3K9me3 covers the promoter. "
        f"{fold.mark} reaches 987.6-fold in {biosample}."
    )
    checked = check_against_findings(rewritten, findings, tracks)
    assert checked.text == f"GATA4 looks active in {biosample}. {fold.mark} is {fold.fold}-fold above background there."
    assert len(checked.dropped) == 3


def _write_bigwig(path, chromosome: str, start0: int, values: np.ndarray, step: int = 128) -> None:
    import pyBigWig

    bigwig = pyBigWig.open(str(path), "w")
    bigwig.addHeader([(chromosome, 145_138_636)])
    bigwig.addEntries(chromosome, start0, values=[float(v) for v in values], span=step, step=step)
    bigwig.close()


def test_observed_bigwig_tracks_are_explained(graph, tracks, tmp_path):
    from tools.tracks.report import explain_observed

    layout = layout_around_gene(graph.gene("GATA4"), bin_size=128, n_bins=896)
    start0, tss_bin = layout.span_start - 1, layout.gene.tss // 128
    flat = _background(896, 1, seed=5)[:, 0]
    peaked = flat.copy()
    peaked[tss_bin - 2 : tss_bin + 3] += 7.0
    _write_bigwig(tmp_path / "h3k27ac.bw", "chr8", start0, peaked)
    _write_bigwig(tmp_path / "flat.bw", "chr8", start0, flat)
    dnase = next(t for t in graph.tracks(assay="DNASE") if t.experiment)
    report = explain_observed(
        [str(tmp_path / "h3k27ac.bw"), str(tmp_path / "flat.bw")],
        ["CHIP:H3K27ac:heart left ventricle", dnase.experiment],
        graph=graph, gene="GATA4", plot_path=tmp_path / "observed.png",
    )
    assert report.kind == "observed" and report.findings.n_tracks == 2
    assert [(g.mark, g.biosample) for g in report.findings.promoter] == [("H3K27ac", "heart left ventricle")]
    assert report.findings.promoter[0].fold > 2.5
    assert "heart left ventricle" in report.text and dnase.biosample not in report.text
    assert (tmp_path / "observed.png").read_bytes()[:4] == b"\x89PNG"

    with pytest.raises(TrackFileError, match="one --track per --bigwig"):
        explain_observed([str(tmp_path / "flat.bw")], [], graph=graph, gene="GATA4")
    (tmp_path / "not.bw").write_text("not a bigwig")
    with pytest.raises(TrackFileError, match="not a readable bigWig"):
        explain_observed([str(tmp_path / "not.bw")], ["DNASE:K562"], graph=graph, gene="GATA4")
    with pytest.raises(TrackFileError, match="not in the graph"):
        explain_observed([str(tmp_path / "flat.bw")], ["ENCSR999ZZZ"], graph=graph, gene="GATA4")
    with pytest.raises(TrackFileError, match="ASSAY:TARGET:BIOSAMPLE"):
        explain_observed([str(tmp_path / "flat.bw")], ["CHIP:liver"], graph=graph, gene="GATA4")
    with pytest.raises(TrackFileError, match="no chromosome chr17"):
        explain_observed([str(tmp_path / "flat.bw")], ["DNASE:K562"], graph=graph, gene="TP53")


def test_real_gata4_sequence_end_to_end_through_a_tiny_enformer(graph, tmp_path, monkeypatch):
    from tools.tracks import explain_gene_tracks
    from tools.tracks.model import ModelConfig, load_enformer
    from tools.tracks.predict import predict_sequence

    name, sequence = read_fasta_record(GATA4_FASTA)
    loaded = load_enformer(ModelConfig.tiny(sequence_length=131_072, target_length=640, device="cpu"))
    prediction = predict_sequence(sequence, loaded=loaded, source=name, gene=graph.gene("GATA4"),
                                  reverse_complement_average=True)
    folder = prediction.save(tmp_path / "gata4")
    report = explain_gene_tracks("gata4", graph=graph, prediction_dir=str(folder))
    assert report.gene == "GATA4" and report.kind == "predicted"
    assert report.findings.n_tracks == 5313 and report.findings.n_bins == 640
    assert prediction.meta.layout.gene.tss == 640 * 128 // 2  # the basenji window is centred on the TSS
    assert report.text.startswith("Enformer predictions around GATA4 (TSS at the centre of the given sequence, + strand)")
    assert report.provenance.records[0] == "HGNC:4173" and report.provenance.prediction_dir == str(folder)
    assert (folder / "tracks.png").read_bytes()[:4] == b"\x89PNG"
    tracks = predicted_tracks(graph, 5313)
    assert _numbers_traceable(report.text, report.findings, tracks) == []
    json.loads(report.model_dump_json())

    with pytest.raises(TrackFileError, match="holds a prediction for GATA4, not TP53"):
        explain_gene_tracks("TP53", graph=graph, prediction_dir=str(folder))
    monkeypatch.delenv("GENEVERSE_ENFORMER_WEIGHTS", raising=False)
    with pytest.raises(ModelNotConfigured, match="no Enformer weights configured"):
        explain_gene_tracks("GATA4", graph=graph)
    monkeypatch.setenv("GENEVERSE_ENFORMER_WEIGHTS", str(tmp_path))
    monkeypatch.delenv("GENEVERSE_GENOME_FASTA", raising=False)
    with pytest.raises(ModelNotConfigured, match="no genome FASTA configured"):
        explain_gene_tracks("GATA4", graph=graph)


def test_gene_prediction_from_a_genome_fasta_with_saved_weights(graph, tmp_path, monkeypatch):
    """The whole path a user takes: weights folder + genome FASTA -> window on the graph's TSS -> report.
    The FASTA's chr8 holds the real GATA4 sequence (hg19 bases) placed at the GRCh38 GATA4 TSS."""
    from tools.tracks import explain_gene_tracks
    from tools.tracks.model import ModelConfig, load_enformer

    _, sequence = read_fasta_record(GATA4_FASTA)
    tiny = load_enformer(ModelConfig.tiny(device="cpu"))
    tiny.model.save_pretrained(tmp_path / "weights", safe_serialization=False)
    tss = graph.gene("GATA4").tss
    offset = tss - 1 - len(sequence) // 2
    chromosome = "N" * offset + sequence + "N" * 1000
    with open(tmp_path / "genome.fa", "w") as f:
        f.write(">chr8\n")
        f.writelines(chromosome[i : i + 100_000] + "\n" for i in range(0, len(chromosome), 100_000))
    monkeypatch.setenv("GENEVERSE_HOME", str(tmp_path / "home"))
    report = explain_gene_tracks("GATA4", graph=graph, weights=str(tmp_path / "weights"),
                                 fasta=str(tmp_path / "genome.fa"))
    assert report.provenance.prediction_dir == str(tmp_path / "home" / "tracks" / "GATA4")
    assert report.findings.tss == tss and report.findings.chromosome == "chr8"
    assert report.findings.n_bins == 64  # the target length stored with the weights
    assert f"TSS chr8:{tss:,}, + strand, GRCh38" in report.text


def test_cli_predict_then_explain_with_json(graph, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from tools.tracks import cli

    monkeypatch.setattr(cli, "_graph", lambda: graph)
    _, sequence = read_fasta_record(GATA4_FASTA)
    (tmp_path / "piece.fa").write_text(">gata4_piece\n" + sequence[60_000:70_000] + "\n")
    runner = CliRunner()
    predicted = runner.invoke(cli.app, ["predict", "--sequence-file", str(tmp_path / "piece.fa"), "--gene", "GATA4",
                                        "--random-weights", "tiny", "--out", str(tmp_path / "out"), "--json"])
    assert predicted.exit_code == 0, predicted.output
    summary = json.loads(predicted.stdout)
    assert summary["shape"] == [64, 5313] and summary["layout"]["gene"]["symbol"] == "GATA4"
    explained = runner.invoke(cli.app, ["explain", str(tmp_path / "out"), "--json"])
    assert explained.exit_code == 0, explained.output
    report = json.loads(explained.stdout)
    assert report["gene"] == "GATA4" and report["findings"]["n_tracks"] == 5313
    assert report["plot_path"] == str(tmp_path / "out" / "tracks.png")


def test_cli_user_errors_are_one_message_and_a_non_zero_exit(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    geneverse = Path(sys.executable).parent / "geneverse"
    done = subprocess.run([str(geneverse), "tracks", "predict", "--sequence", "ACGUACGT", "--random-weights", "tiny",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "letters outside A, C, G, T, N: 'U' (first at position 4)" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()
