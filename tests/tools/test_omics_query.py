"""Questions to read-only Cypher on the real graph: plans run and agree with the graph API, the language-model
path is validated and retried, and nothing that writes ever runs."""

import pytest

from kg.errors import ReadOnlyViolation
from tools.omics_query import UnparsedQuestion, run_query
from tools.query.guard import InvalidQuery, ensure_read_only, graph_schema, validate_against_schema
from tools.query.plan import Plan

WRITES = [
    "MATCH (n) DETACH DELETE n",
    "match (g:Gene) delete g",
    "CREATE (g:Gene {gene_id: 'X', symbol: 'X'})",
    "MERGE (g:Gene {gene_id: 'HGNC:11998'}) SET g.symbol = 'PWNED'",
    "MATCH (g:Gene) WHERE g.symbol = 'TP53' SET g.symbol = 'PWNED' RETURN g.symbol AS s",
    "MATCH (g:Gene) REMOVE g.summary",
    "CALL db.labels()",
    "RETURN apoc.cypher.runWrite('CREATE (n)', {}) AS x",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "MATCH (n) RETURN count(n) AS n; MATCH (m) DETACH DELETE m",
    "/* read */ MATCH (n)\nDETACH\nDELETE n",
    "DROP TABLE Gene",
    "MATCH (g:Gene) FOREACH (x IN [1] | SET g.symbol = 'Z')",
]


class ScriptedModel:
    """A text generator that answers with prepared replies, in order, and records its prompts."""

    name = "scripted"

    def __init__(self, replies: list[str]):
        self.replies, self.prompts = list(replies), []

    def generate(self, prompt: str, *, system: str | None = None, max_new_tokens: int | None = None) -> str:
        self.prompts.append((system, prompt))
        return self.replies.pop(0)


@pytest.mark.parametrize("cypher", WRITES)
def test_writes_and_procedures_are_rejected_before_execution(cypher):
    with pytest.raises(ReadOnlyViolation):
        ensure_read_only(cypher)


def test_read_queries_pass_even_with_keywords_inside_strings():
    ensure_read_only("MATCH (g:Gene) WHERE g.name = 'delete me; CREATE' RETURN g.symbol AS symbol, g.start AS start")


def test_schema_validation_uses_the_graph_schema(graph):
    schema = graph_schema(graph)
    assert {"Gene", "Experiment", "Track", "GoTerm"} <= set(schema.nodes) and "TARGETS" in schema.relationships
    validate_against_schema("MATCH (t:Track) RETURN t.`index` AS i", schema)
    with pytest.raises(InvalidQuery, match="Protein"):
        validate_against_schema("MATCH (p:Protein) RETURN p.name AS n", schema)
    with pytest.raises(InvalidQuery, match="tissue"):
        validate_against_schema("MATCH (e:Experiment) RETURN e.tissue AS t", schema)
    with pytest.raises(InvalidQuery, match="BINDS"):
        validate_against_schema("MATCH (a:Gene)-[:BINDS]->(b:Gene) RETURN a.symbol AS s", schema)


def test_biosamples_with_a_target_chip_seq(graph):
    plan = Plan(op="list", find="experiment", ask="biosample",
                where=[{"on": "target", "values": ["POLR2A"]}, {"on": "assay", "values": ["ChIP-seq"]}])
    result = run_query("Which biosamples have POLR2A ChIP-seq?", graph, plan=plan)
    assert result.path == "plan" and "$p" in result.cypher and "POLR2A" not in result.cypher
    experiments = [e for e in graph.experiments(assay="ChIP-seq", target="POLR2A") if e.target == "POLR2A"]
    assert {row["biosample"] for row in result.rows} == {e.biosample for e in experiments} and experiments
    assert sum(row["experiments"] for row in result.rows) == len(experiments)


def test_dnase_experiments_in_liver(graph):
    plan = Plan(op="list", find="experiment", where=[{"on": "assay", "values": ["DNase-seq"]},
                                                     {"on": "biosample", "values": ["liver"]}])
    result = run_query("List DNase-seq experiments in liver", graph, plan=plan)
    expected = {e.accession for e in graph.experiments(assay="DNase-seq", biosample="liver")
                if e.biosample.lower() == "liver" or e.biosample.lower().startswith("liver ")}
    assert {row["key"] for row in result.rows} == expected and expected


def test_transcription_factors_in_hepg2_exclude_histone_marks(graph):
    plan = Plan(op="list", find="experiment", ask="target", where=[
        {"on": "target_class", "values": ["transcription factor"]}, {"on": "assay", "values": ["ChIP-seq"]},
        {"on": "biosample", "values": ["HepG2"]}])
    result = run_query("Which transcription factors were profiled by ChIP-seq in HepG2?", graph, plan=plan)
    targets = {row["target"] for row in result.rows}
    hepg2 = {e.target for e in graph.experiments(assay="ChIP-seq", biosample="HepG2") if e.target}
    factors = {t for t in hepg2 if not t.startswith(("H3K", "H4K", "H2A", "H2B"))}
    assert targets <= factors and result.total == len(factors) > len(result.rows) == 100
    assert "REST" in targets and not any(t.startswith(("H3K", "H4K", "H2A")) for t in targets)


def test_genes_in_a_cytoband_and_a_region(graph):
    band = run_query("Which genes lie in 17p13.1?", graph, plan=Plan(
        op="list", where=[{"on": "location", "op": "overlaps", "values": ["17p13.1"]}]))
    approved = {g.symbol for g in graph.genes_in_cytoband("17p13.1") if g.hgnc_id}
    assert band.total == len(approved) and {row["symbol"] for row in band.rows} <= approved
    tp53 = graph.gene("TP53")
    region = run_query("Which genes overlap TP53's span?", graph, plan=Plan(
        op="list", where=[{"on": "location", "values": [f"chr17:{tp53.start:,}-{tp53.end:,}"]}]))
    assert {row["symbol"] for row in region.rows} == {g.symbol for g in graph.genes_in_region(
        "17", tp53.start, tp53.end) if g.hgnc_id}


def test_track_count(graph):
    plan = Plan(op="count", find="track", where=[{"on": "target", "values": ["H3K27ac"]}])
    result = run_query("How many Enformer tracks measure H3K27ac?", graph, plan=plan)
    assert result.rows == [{"tracks": len(graph.tracks(target="H3K27ac"))}]
    assert result.summary == f"{len(graph.tracks(target='H3K27ac'))} Enformer tracks with target H3K27ac."


def test_unparsed_question_needs_a_model(graph):
    with pytest.raises(UnparsedQuestion):
        run_query("What is the meaning of all this?", graph)


def test_model_query_is_validated_and_retried_once_with_the_error(graph):
    model = ScriptedModel([
        "```cypher\nMATCH (x:Assay) RETURN x.name AS name\n```",
        "```cypher\nMATCH (t:Track) WHERE t.assay = 'CAGE' RETURN count(t) AS cage_tracks\n```",
    ])
    result = run_query("How many cap analysis measurements exist?", graph, llm=model)
    assert result.path == "llm" and result.attempts == 2 and result.model == "scripted"
    assert result.rows == [{"cage_tracks": len(graph.tracks(assay="CAGE"))}]
    system, retry = model.prompts[1]
    assert "Unknown node label :Assay" in retry and "(:Track {" in system


def test_model_writing_a_write_is_refused_and_nothing_changes(graph):
    before = graph.stats()
    for cypher in WRITES:
        with pytest.raises(ReadOnlyViolation):
            run_query("Tidy up the graph for me", graph, llm=ScriptedModel([cypher, cypher]))
    with pytest.raises(ReadOnlyViolation):
        run_query("MATCH (n) DETACH DELETE n", graph)
    assert graph.stats() == before
    assert graph.gene("TP53").symbol == "TP53"


def test_model_failing_twice_is_a_clear_error(graph):
    model = ScriptedModel(["no idea", "MATCH (g:Gene) RETURN g.colour AS c"])
    with pytest.raises(InvalidQuery, match="after a retry"):
        run_query("Paint the genes", graph, llm=model)


def test_cypher_typed_by_the_user_runs_only_when_it_reads(graph):
    result = run_query("MATCH (t:Track) WHERE t.assay = 'CAGE' RETURN count(t) AS cage", graph)
    assert result.path == "cypher" and result.rows == [{"cage": len(graph.tracks(assay="CAGE"))}]
    with pytest.raises(InvalidQuery):
        run_query("MATCH (p:Protein) RETURN p.name AS name", graph)
