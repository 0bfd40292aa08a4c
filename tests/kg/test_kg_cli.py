"""`geneverse kg` end to end, as a user runs it."""

import json
import os
import subprocess


def geneverse(*args, home, check=True):
    env = {**os.environ, "GENEVERSE_HOME": str(home)}
    done = subprocess.run(["geneverse", *args], check=False, capture_output=True, text=True, env=env, timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_gene_her2_json(graph_home):
    record = json.loads(geneverse("kg", "gene", "HER2", "--json", home=graph_home).stdout)
    assert record["symbol"] == "ERBB2"
    assert (record["hgnc_id"], record["entrez_id"], record["ensembl_id"]) == ("HGNC:3430", "2064", "ENSG00000141736")
    assert (record["chromosome"], record["cytoband"]) == ("17", "17q12")
    assert "HER2" in record["aliases"] and record["previous_symbols"] == ["NGL"]


def test_unknown_gene_is_one_clear_error(graph_home):
    done = geneverse("kg", "gene", "ERBB22", home=graph_home, check=False)
    assert done.returncode == 1
    assert "No gene named 'ERBB22'" in done.stderr and "ERBB2" in done.stderr
    assert "Traceback" not in done.stderr


def test_ambiguous_gene_lists_candidates_and_json_error(graph_home):
    done = geneverse("kg", "gene", "M-ABC1", "--json", home=graph_home, check=False)
    assert done.returncode == 1
    error = json.loads(done.stdout)
    assert error["kind"] == "AmbiguousName" and "ABCB8" in error["error"] and "ABCF2" in error["error"]


def test_resolve_shows_the_ranking_and_its_evidence(graph_home):
    resolution = json.loads(geneverse("kg", "resolve", "ORF1", "--json", home=graph_home).stdout)
    assert [c["symbol"] for c in resolution["candidates"]] == ["AHI1", "NCKIPSD"]
    assert resolution["candidates"][0]["score"] > resolution["candidates"][1]["score"]
    table = geneverse("kg", "resolve", "ORF1", home=graph_home).stdout
    assert "annotations" in table and "HGNC alias" in table and table.index("AHI1") < table.index("NCKIPSD")


def test_stats_and_resolve(graph_home):
    stats = json.loads(geneverse("kg", "stats", "--json", home=graph_home).stdout)
    assert stats["backend"] == "ladybug" and stats["counts"]["Track"] == 5313
    resolution = json.loads(geneverse("kg", "resolve", "cap", "--json", home=graph_home).stdout)
    assert resolution["ambiguous"] and len(resolution["candidates"]) >= 2


def test_no_graph_is_one_clear_error(tmp_path):
    done = geneverse("kg", "gene", "TP53", home=tmp_path, check=False)
    assert done.returncode == 1 and "geneverse kg build" in done.stderr


def test_build_with_withheld_summaries(tmp_path):
    withheld = tmp_path / "withheld.txt"
    withheld.write_text("# paper genes\nTP53\nGLI1\n")
    manifest = json.loads(geneverse("kg", "build", "--home", str(tmp_path), "--withhold-summaries", str(withheld),
                                    "--json", home=tmp_path).stdout)
    assert manifest["withheld_summaries"] == ["GLI1", "TP53"]
    assert manifest["counts"]["Gene"] > 43882
    tp53 = json.loads(geneverse("kg", "gene", "TP53", "--json", home=tmp_path).stdout)
    brca1 = json.loads(geneverse("kg", "gene", "BRCA1", "--json", home=tmp_path).stdout)
    assert tp53["summary"] is None and brca1["summary"]


def test_bad_withheld_file_is_one_clear_error(tmp_path):
    done = geneverse("kg", "build", "--home", str(tmp_path), "--withhold-summaries", str(tmp_path / "nope.txt"),
                     home=tmp_path, check=False)
    assert done.returncode == 1 and "file not found" in done.stderr
    assert not (tmp_path / "graph").exists()
