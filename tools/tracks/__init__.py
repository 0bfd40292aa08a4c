"""Enformer track prediction, variant effects and track-to-language explanations.

    from tools.tracks import explain_gene_tracks
    report = explain_gene_tracks("GATA4", graph=graph, prediction_dir="runs/gata4")
    report.findings, report.text, report.plot_path

Names are imported on first use, so reading a variant from a question does not load torch.
"""

from importlib import import_module

_HOMES = {
    "Findings": "findings", "FindingsConfig": "findings", "ModelConfig": "model", "load_enformer": "model",
    "TrackProvenance": "report", "TrackReport": "report", "explain_gene_tracks": "report",
    "explain_observed": "report", "explain_prediction": "report",
}

__all__ = list(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'tools.tracks' has no attribute {name!r}")
    return getattr(import_module(f"tools.tracks.{_HOMES[name]}"), name)
