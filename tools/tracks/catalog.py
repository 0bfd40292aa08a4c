"""Track metadata: what each signal column measures (assay, target, biosample, ENCODE experiment).

Predicted tracks are the graph's Enformer `Track` records; observed bigWig tracks are named by the
user, either in Enformer's own `ASSAY:TARGET:BIOSAMPLE` form or by an ENCODE accession in the graph.
"""

import re

from pydantic import BaseModel, Field

from kg.models import Track
from tools.tracks.errors import TrackFileError

ASSAYS = ("DNASE", "ATAC", "CHIP", "CAGE")
_ASSAY_ALIASES = {
    "DNASE": "DNASE", "DNASE-SEQ": "DNASE", "ATAC": "ATAC", "ATAC-SEQ": "ATAC",
    "CHIP": "CHIP", "CHIP-SEQ": "CHIP", "TF CHIP-SEQ": "CHIP", "HISTONE CHIP-SEQ": "CHIP", "CAGE": "CAGE",
}
_MARK_OF_ASSAY = {"DNASE": "DNase", "ATAC": "ATAC", "CAGE": "CAGE"}


class TrackInfo(BaseModel):
    name: str = Field(description="Enformer-style description, e.g. CHIP:H3K27ac:liver")
    assay: str = Field(description="DNASE, ATAC, CHIP or CAGE")
    target: str | None = None
    biosample: str
    identifier: str | None = Field(None, description="file or library id: ENCFF..., CNhs...")
    experiment: str | None = Field(None, description="ENCODE experiment accession (ENCSR...)")
    index: int | None = Field(None, description="Enformer human output index")
    file: str | None = Field(None, description="bigWig path of an observed track")

    @property
    def mark(self) -> str:
        """What the track measures: the ChIP target (H3K27ac, CTCF) or the assay (DNase, ATAC, CAGE)."""
        if self.assay == "CHIP":
            return self.target or "ChIP-seq"
        return _MARK_OF_ASSAY[self.assay]


def assay_label(assay: str) -> str:
    """How an assay is written in explanations: DNase, ATAC, CAGE, ChIP-seq."""
    return _MARK_OF_ASSAY.get(assay, "ChIP-seq")


def normalise_assay(assay: str) -> str:
    key = assay.strip().upper()
    if key not in _ASSAY_ALIASES:
        raise TrackFileError(f"unknown assay {assay!r}; use DNase-seq, ATAC-seq, ChIP-seq or CAGE")
    return _ASSAY_ALIASES[key]


# A few ChIP tracks come from GEO, not ENCODE: "LABEL / CELL / TISSUE" with the cell as biosample, and
# for some ("CHIP:.:batch1_chrom1_LoVo_EGR1_Rabbit_PassedQC / LoVo / colon adenocarcinoma",
# "CHIP:active:ChIP_hHIF1a-peak-DMOG CHIP-Seq / U2OS cells / .") the target only inside the label.
_GEO_ROW = re.compile(r"^(?P<label>.+?) / (?P<cell>[^/]+?) / .*$")
_GEO_TARGET = re.compile(r"_LoVo_(?P<a>[A-Za-z0-9.]+?)_|^ChIP_h(?P<b>[A-Za-z0-9]+)-")


def from_graph_track(track: Track) -> TrackInfo:
    target, biosample = track.target, track.biosample
    geo = _GEO_ROW.match(biosample) if track.assay == "CHIP" else None
    if geo:
        biosample = geo["cell"]
        if target in (None, "", ".", "active"):
            found = _GEO_TARGET.search(geo["label"])
            target = (found["a"] or found["b"].upper()) if found else None
    return TrackInfo(
        name=track.description, assay=track.assay, target=target or None, biosample=biosample,
        identifier=track.identifier, experiment=track.experiment, index=track.index,
    )


def predicted_tracks(graph, count: int) -> list[TrackInfo]:
    """The first `count` Enformer human tracks from the graph, in model output order."""
    tracks = sorted(graph.tracks(), key=lambda t: t.index)
    if len(tracks) < count:
        raise TrackFileError(f"the graph has {len(tracks)} Enformer tracks but the model predicts {count}")
    return [from_graph_track(t) for t in tracks[:count]]


_ACCESSION = re.compile(r"^(ENCSR|ENCFF)[0-9A-Z]{6}$")


def observed_track(spec: str, file: str, graph) -> TrackInfo:
    """Name a bigWig track by `ASSAY:TARGET:BIOSAMPLE`, `ASSAY:BIOSAMPLE` or an ENCODE accession."""
    spec = spec.strip()
    if _ACCESSION.match(spec.upper()):
        return _track_of_accession(spec.upper(), file, graph)
    assay, _, rest = spec.partition(":")
    assay = normalise_assay(assay)
    target, biosample = rest.split(":", 1) if assay == "CHIP" and rest.count(":") >= 1 else (None, rest)
    if not biosample.strip() or (assay == "CHIP" and not target):
        raise TrackFileError(
            f"track {spec!r} must read ASSAY:TARGET:BIOSAMPLE for ChIP-seq (CHIP:H3K27ac:liver) "
            "or ASSAY:BIOSAMPLE otherwise (DNASE:K562), or be an ENCODE accession"
        )
    return TrackInfo(name=spec, assay=assay, target=target, biosample=biosample.strip(), file=file)


def _track_of_accession(accession: str, file: str, graph) -> TrackInfo:
    for track in graph.tracks():
        if accession in (track.identifier, track.experiment):
            return from_graph_track(track).model_copy(update={"file": file, "index": None})
    for experiment in graph.experiments():
        if accession == experiment.accession or accession in experiment.file_accessions:
            assay = normalise_assay(experiment.assay)
            name = ":".join(p for p in (assay, experiment.target, experiment.biosample) if p)
            return TrackInfo(
                name=name, assay=assay, target=experiment.target, biosample=experiment.biosample,
                identifier=accession if accession.startswith("ENCFF") else None,
                experiment=experiment.accession, file=file,
            )
    raise TrackFileError(f"ENCODE accession {accession} is not in the graph's experiments or tracks")
