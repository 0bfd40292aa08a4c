"""`geneverse tracks`: Enformer predictions and their plain-language explanation."""

from pathlib import Path
from typing import Annotated

import typer

from kg.files import output_file, output_folder
from kg.output import console, emit
from tools.tracks.errors import SequenceError, TrackFileError
from tools.tracks.model import ModelConfig, load_enformer
from tools.tracks.report import TrackReport, explain_observed, explain_prediction, parse_region
from tools.tracks.sequence import GenomeFasta, read_fasta_record

app = typer.Typer(help="Enformer track prediction and track-to-language explanations.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON document")]


def _model_config(weights: str | None, random_weights: str | None, device: str, batch_size: int) -> ModelConfig:
    if random_weights is not None:
        if random_weights not in ("full", "tiny"):
            raise TrackFileError("--random-weights takes 'full' (the real architecture) or 'tiny'")
        config = ModelConfig() if random_weights == "full" else ModelConfig.tiny()
        return config.model_copy(update={"device": device, "batch_size": batch_size})
    return ModelConfig.from_env(weights, device=device, batch_size=batch_size)


@app.command()
def predict(
    out: Annotated[str, typer.Option(help="folder for tracks.npy and prediction.json")],
    gene: Annotated[str | None, typer.Option(help="gene symbol or id; the window is centred on its TSS")] = None,
    fasta: Annotated[str | None, typer.Option(help="indexed GRCh38 genome FASTA (default $GENEVERSE_GENOME_FASTA)",
                                              envvar="GENEVERSE_GENOME_FASTA")] = None,
    region: Annotated[str | None, typer.Option(help="chr:start-end; the window is centred on its middle")] = None,
    sequence_file: Annotated[str | None, typer.Option(help="FASTA file of one raw sequence (N-padded)")] = None,
    sequence: Annotated[str | None, typer.Option(help="raw sequence (N-padded)")] = None,
    tss_offset: Annotated[int | None, typer.Option(help="0-based TSS position in a raw sequence (default: middle)")] = None,
    weights: Annotated[str | None, typer.Option(help="converted Enformer checkpoint folder "
                                                "(default $GENEVERSE_ENFORMER_WEIGHTS)")] = None,
    random_weights: Annotated[str | None, typer.Option(help="'full' or 'tiny': random weights, for "
                                                       "benchmarks and smoke tests")] = None,
    reverse_complement: Annotated[bool, typer.Option("--rc/--no-rc", help="average with the reverse "
                                                     "complement")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda")] = "auto",
    batch_size: Annotated[int, typer.Option(help="windows per forward pass")] = 4,
    as_json: JsonOption = False,
) -> None:
    """Predict 5,313 human tracks for a gene, a region or a raw sequence."""
    from tools.tracks.predict import predict_genes, predict_region, predict_sequence

    folder = output_folder(out, "--out")
    raw = [x is not None for x in (sequence_file, sequence)]
    if sum(raw) > 1 or (any(raw) and region) or not (any(raw) or region or gene):
        raise SequenceError("give one input: --gene or --region (with --fasta), --sequence-file or --sequence")
    loaded = load_enformer(_model_config(weights, random_weights, device, batch_size))
    graph = _graph() if gene else None
    if any(raw):
        source = "command line sequence"
        if sequence_file:
            name, sequence = read_fasta_record(sequence_file)
            source = f"{sequence_file} ({name})"
        prediction = predict_sequence(sequence, loaded=loaded, source=source,
                                      gene=graph.gene(gene) if gene else None, tss_offset=tss_offset,
                                      reverse_complement_average=reverse_complement)
    else:
        if not fasta:
            raise SequenceError("--gene and --region read the genome: pass --fasta hg38.fa or set GENEVERSE_GENOME_FASTA")
        genome = GenomeFasta(fasta)
        if region:
            prediction = predict_region(*parse_region(region), genome=genome, loaded=loaded,
                                        reverse_complement_average=reverse_complement)
        else:
            prediction = predict_genes([gene], graph=graph, genome=genome, loaded=loaded,
                                       reverse_complement_average=reverse_complement)[0]
    saved = prediction.save(folder)
    result = {"folder": str(saved), "shape": list(prediction.signal.shape), **prediction.meta.model_dump(
        exclude={"track_indices"})}
    emit(result, as_json, lambda r: console.print(
        f"{r['shape'][0]} bins x {r['shape'][1]} tracks from {r['model']} -> {r['folder']}"))


@app.command()
def variant(
    out: Annotated[str, typer.Option(help="folder for variants.json, effects.tsv and one plot per variant")],
    variant_text: Annotated[str | None, typer.Argument(
        metavar="VARIANT", help="chr:position ref>alt, 1-based on GRCh38 (chr8:11700000 G>A); on a raw sequence "
                                "the position within it ('65537 G>A')")] = None,
    vcf: Annotated[str | None, typer.Option(help="VCF (plain or .gz) of variants to score instead of VARIANT")] = None,
    fasta: Annotated[str | None, typer.Option(help="indexed GRCh38 genome FASTA (default $GENEVERSE_GENOME_FASTA)",
                                              envvar="GENEVERSE_GENOME_FASTA")] = None,
    sequence_file: Annotated[str | None, typer.Option(help="FASTA file of one raw sequence the variant lies on")] = None,
    sequence: Annotated[str | None, typer.Option(help="raw sequence the variant lies on")] = None,
    assay: Annotated[str | None, typer.Option(help="rank only tracks of this assay: DNase, ATAC, ChIP, CAGE, or "
                                              "a ChIP target such as H3K27ac")] = None,
    target: Annotated[str | None, typer.Option(help="rank only ChIP tracks of this target (CTCF, H3K4me3)")] = None,
    biosample: Annotated[str | None, typer.Option(help="rank only tracks of this biosample (K562, liver)")] = None,
    background: Annotated[int, typer.Option(help="background substitutions sampled in each variant's window "
                                            "(0: none)", min=0, max=1000)] = 16,
    background_vcf: Annotated[str | None, typer.Option(help="VCF of background variants, each scored in its own "
                                                       "window (instead of sampled substitutions)")] = None,
    central_bins: Annotated[int, typer.Option(help="bins around the variant that SAD and log2FC sum (896: the "
                                              "whole window)", min=1)] = 10,
    shifts: Annotated[str, typer.Option(help="bp shifts of the window to average, e.g. -1,0,1")] = "0",
    reverse_complement: Annotated[bool, typer.Option("--rc/--no-rc", help="average with the reverse "
                                                     "complement")] = False,
    top: Annotated[int, typer.Option(help="strongest tracks reported per variant", min=1, max=100)] = 10,
    seed: Annotated[int, typer.Option(help="seed of the background sample")] = 0,
    weights: Annotated[str | None, typer.Option(help="converted Enformer checkpoint folder "
                                                "(default $GENEVERSE_ENFORMER_WEIGHTS)")] = None,
    random_weights: Annotated[str | None, typer.Option(help="'full' or 'tiny': random weights, for "
                                                       "benchmarks and smoke tests")] = None,
    device: Annotated[str, typer.Option(help="auto, cpu, cuda")] = "auto",
    batch_size: Annotated[int, typer.Option(help="windows per forward pass", min=1)] = 4,
    as_json: JsonOption = False,
) -> None:
    """Score single-nucleotide variants in all 5,313 tracks (ref against alt, against background variants)
    and explain what each does."""
    from tools.tracks.variant import VariantConfig, parse_variant, read_vcf
    from tools.tracks.variant_report import explain_variants

    if (variant_text is None) == (vcf is None):
        raise SequenceError("give one VARIANT (chr8:11700000 G>A) or --vcf FILE")
    raw = [x is not None for x in (sequence_file, sequence)]
    if sum(raw) > 1 or (any(raw) and (vcf or background_vcf)):
        raise SequenceError("a raw sequence takes one VARIANT and no VCF; give --sequence-file or --sequence, not both")
    try:
        config = VariantConfig(central_bins=central_bins, shifts=[int(s) for s in shifts.split(",")],
                               reverse_complement=reverse_complement, background=background, seed=seed)
    except ValueError as err:
        raise SequenceError(f"--shifts {shifts!r}: {_first_error(err)}") from None
    variants, skipped = ([parse_variant(variant_text)], []) if variant_text is not None else read_vcf(vcf)
    folder = output_folder(out, "--out")
    source_name, source = _variant_source(fasta, sequence_file, sequence)
    background_variants = read_vcf(background_vcf)[0] if background_vcf else None
    loaded = load_enformer(_model_config(weights, random_weights, device, batch_size))
    run = explain_variants(
        variants, source=source, loaded=loaded, graph=_graph(), config=config, background=background_variants,
        assay=assay, target=target, biosample=biosample, top=top, out=folder, source_name=source_name,
        skipped=skipped)
    emit(run, as_json, _render_variants)


def _first_error(err: ValueError) -> str:
    errors = getattr(err, "errors", None)
    return errors()[0]["msg"] if callable(errors) else str(err)


def _variant_source(fasta: str | None, sequence_file: str | None, sequence: str | None):
    from tools.tracks.variant import RawSequence

    if sequence_file:
        name, text = read_fasta_record(sequence_file)
        return f"{sequence_file} ({name})", RawSequence(text, name or sequence_file)
    if sequence is not None:
        return "command line sequence", RawSequence(sequence, "command line sequence")
    if not fasta:
        raise SequenceError("variants are read from the genome: pass --fasta hg38.fa or set GENEVERSE_GENOME_FASTA "
                            "(or give the sequence with --sequence-file)")
    return fasta, GenomeFasta(fasta)


def _render_variants(run) -> None:
    for report in run.reports:
        console.print(f"[bold]{report.variant}[/bold]\n{report.text}")
        if report.plot_path:
            console.print(f"plot: {report.plot_path}")
    for line in run.skipped:
        console.print(f"[yellow]skipped[/yellow] line {line.line}: {line.reason}")
    if run.folder:
        console.print(f"\nsaved: {run.folder}")


@app.command()
def explain(
    folder: Annotated[Path | None, typer.Argument(help="prediction folder from `geneverse tracks predict`")] = None,
    bigwig: Annotated[list[str] | None, typer.Option(help="observed bigWig file (repeatable)")] = None,
    track: Annotated[list[str] | None, typer.Option(help="what each --bigwig measures: CHIP:H3K27ac:liver, "
                                                    "DNASE:K562 or an ENCODE accession (repeatable)")] = None,
    gene: Annotated[str | None, typer.Option(help="gene for observed tracks (TSS from the graph)")] = None,
    region: Annotated[str | None, typer.Option(help="chr:start-end for observed tracks")] = None,
    plot: Annotated[str | None, typer.Option(help="PNG path (default: FOLDER/tracks.png for predictions)")] = None,
    rewrite: Annotated[bool, typer.Option(help="add a language-model rewrite, checked against the "
                                          "findings (model from GENEVERSE_LLM_* settings)")] = False,
    as_json: JsonOption = False,
) -> None:
    """Explain predicted (FOLDER) or observed (--bigwig) tracks: findings, text and a plot."""
    if (folder is None) == (not bigwig):
        raise TrackFileError("give a prediction folder or --bigwig files, not both and not neither")
    plot_path = output_file(plot, "--plot") if plot is not None else None
    llm = None
    if rewrite:
        from tools.llm import LLMConfig, load_llm

        llm = load_llm(LLMConfig.from_env())
    graph = _graph()
    if folder is not None:
        report = explain_prediction(folder, graph=graph, plot_path=plot_path, llm=llm)
    else:
        report = explain_observed(bigwig, track or [], graph=graph, gene=gene, region=region, plot_path=plot_path,
                                  llm=llm)
    emit(report, as_json, _render)


def _render(report: TrackReport) -> None:
    console.print(report.text)
    if report.rewritten_text is not None:
        console.print(f"\n[bold]Rewritten[/bold] ({len(report.dropped_sentences)} sentences dropped): "
                      f"{report.rewritten_text}")
    if report.plot_path:
        console.print(f"\nplot: {report.plot_path}")
    console.print(f"records: {', '.join(report.provenance.records) or 'none'}")


def _graph():
    from kg.graph import open_graph

    return open_graph()

