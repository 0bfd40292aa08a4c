"""The post-correction benchmark runs end to end on a few held-out genes."""

from evals.bench_correction import DRAFTS, run


def test_bench_correction_counts_edits_on_summaries_and_drafts(graph):
    report = run("heldout:3", DRAFTS, graph)
    for name in ("summaries", "drafts"):
        figures = report[name]
        assert figures["texts"] == 3
        assert figures["edits"] == len(figures["edit_list"]) == sum(figures["edits_by_field"].values())
        assert 0 <= figures["seconds_p50"] <= figures["seconds_p95"]
    assert report["drafts"]["edits"] > 0
