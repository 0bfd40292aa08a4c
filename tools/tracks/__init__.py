"""Enformer track prediction and track-to-language explanations.

    from tools.tracks import explain_gene_tracks
    report = explain_gene_tracks("GATA4", graph=graph, prediction_dir="runs/gata4")
    report.findings, report.text, report.plot_path
"""

from tools.tracks.findings import Findings, FindingsConfig
from tools.tracks.model import ModelConfig, load_enformer
from tools.tracks.report import (
    TrackProvenance,
    TrackReport,
    explain_gene_tracks,
    explain_observed,
    explain_prediction,
)

__all__ = [
    "Findings", "FindingsConfig", "ModelConfig", "TrackProvenance", "TrackReport", "explain_gene_tracks",
    "explain_observed", "explain_prediction", "load_enformer",
]
