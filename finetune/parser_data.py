"""Synthetic, execution-verified (question, plan) pairs for the semantic parser.

Every plan shape of `tools.query.plan` gets questions composed from parts: an opening, the names people use
for the asked field or kind (the schema's own `words`), the records' names drawn from the graph (official
symbols and, for variety, their aliases and previous symbols; condition, GO term, gene group, cell type,
tissue, biosample, assay and target names; bands and positions from gene spans), and a surface form
(question, imperative, fragment, lower case, a typo, extra words). A pair is kept only when its plan binds and
runs on the graph. A share of the record values and some whole shapes are held out of training for the test
split, and no question whose phrasing is one of the agent's evaluation questions (with the names taken out)
is kept. The data card counts pairs per shape and split.

    geneverse finetune parser-data --out runs/parser-data
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from finetune.data import write_atomic
from kg.errors import GeneverseError
from tools.query.answer import run_plan
from tools.query.plan import Plan, compact, field_words, kinds

# The prompt the parser sees before a question (training and inference share it).
PARSER_SYSTEM = "Read the question as a plan."
# Shapes whose every pair goes to the test split: the parser is measured on plans it never saw.
HELD_OUT_SHAPES = ("compare:strand", "rank:disease", "list:disease-not-gene", "count:experiment-target-not",
                   "check:gene_group", "nearest:gene")
HELD_OUT_VALUE_SHARE = 0.15
VAL_SHARE = 0.05
EVAL_FILES = ("evals/agent/firstday_a.jsonl", "evals/agent/firstday_b.jsonl", "evals/agent/firstday_c.jsonl",
              "evals/agent/paraphrases.jsonl",
              "evals/agent/paraphrases_b.jsonl", "evals/agent/questions.jsonl", "evals/agent/omics_questions.txt",
              "evals/benchmarks/geneturing_gene_facts.tsv")


@dataclass
class Pair:
    question: str
    plan: dict[str, Any]
    shape: str
    values: list[str] = field(default_factory=list)  # the record values the question names
    split: str = "train"


# --- the graph's values -----------------------------------------------------------------------------------

class Values:
    """Names drawn from the graph, each with a stable held-out flag."""

    def __init__(self, graph, rng: random.Random, seed: int):
        self.rng, self.seed = rng, seed
        rows = graph.store.run(
            "MATCH (g:Gene) WHERE g.hgnc_id IS NOT NULL AND g.start IS NOT NULL AND g.assembly = 'GRCh38' "
            "RETURN g.symbol AS symbol, g.aliases AS aliases, g.previous_symbols AS previous, g.chromosome AS c, "
            "g.start AS start, g.`end` AS e, g.cytoband AS band, g.locus_group AS lg")
        self.genes = [r for r in rows if r["lg"] == "protein-coding gene" and r["band"]]
        self.bands = sorted({r["band"] for r in self.genes if re.fullmatch(r"\w+[pq]\d+(\.\d+)?", r["band"])})
        self.diseases = [r["name"] for r in graph.store.run(
            "MATCH (g:Gene)-[:ASSOCIATED_WITH]->(d:Disease) WHERE d.name IS NOT NULL WITH d.name AS name, "
            "count(DISTINCT g) AS n WHERE n >= 2 AND n <= 40 RETURN name ORDER BY name") if len(r["name"]) < 60]
        self.go = [r["name"] for r in graph.store.run(
            "MATCH (g:Gene)-[r:ANNOTATED_WITH]->(t:GoTerm) WHERE t.aspect = 'BP' AND r.direct = true WITH t.name AS "
            "name, count(DISTINCT g) AS n WHERE n >= 10 AND n <= 200 RETURN name ORDER BY name")]
        self.groups = [r["name"] for r in graph.store.run(
            "MATCH (g:Gene)-[:IN_GROUP]->(x:GeneGroup) WITH x.name AS name, count(g) AS n WHERE n >= 5 RETURN name "
            "ORDER BY name")]
        self.cells = graph.store.run("MATCH (c:CellType) WHERE c.tissue IS NOT NULL RETURN c.name AS name, "
                                     "c.tissue AS tissue ORDER BY c.cell_type_id")
        self.samples = [r["b"] for r in graph.store.run(
            "MATCH (e:Experiment) WHERE e.assay = 'TF ChIP-seq' WITH e.biosample AS b, count(*) AS n WHERE n >= 20 "
            "RETURN b ORDER BY b")]
        self.targets = [r["t"] for r in graph.store.run(
            "MATCH (e:Experiment) WHERE e.assay = 'TF ChIP-seq' AND e.target IS NOT NULL WITH e.target AS t, "
            "count(*) AS n WHERE n >= 3 RETURN t ORDER BY t")]
        self.marks = ["H3K27ac", "H3K4me3", "H3K4me1", "H3K27me3", "H3K36me3", "H3K9me3"]
        self.track_samples = ["K562", "HepG2", "GM12878", "liver", "HeLa-S3", "A549", "MCF-7", "IMR-90"]

    def held(self, value: str) -> bool:
        """A stable share of values is kept for the test split."""
        digest = hashlib.sha256(f"{self.seed}:{value.lower()}".encode()).hexdigest()
        return int(digest[:8], 16) / 0xFFFFFFFF < HELD_OUT_VALUE_SHARE

    def pick(self, items: list):
        return self.rng.choice(items)

    def gene(self) -> tuple[dict, str]:
        """A gene and the name a question calls it by: mostly its symbol, sometimes an alias or old symbol."""
        gene = self.pick(self.genes)
        names = [gene["symbol"]] * 4 + (gene["aliases"] or [])[:2] + (gene["previous"] or [])[:1]
        return gene, self.pick(names)


# --- surface forms -----------------------------------------------------------------------------------------

_LEADS = ["", "", "", "", "Please tell me: ", "Quick question: ", "I'd like to know ", "Can you check: ",
          "For a paper I'm writing, ", "Help me out: "]


def _typo(text: str, rng: random.Random, named: list[str]) -> str:
    words = text.split()
    protected = {w.lower() for value in named for w in value.split()}
    candidates = [i for i, w in enumerate(words) if w.isalpha() and w.islower() and len(w) >= 6
                  and w not in protected]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def surface(text: str, rng: random.Random, named: list[str]) -> str:
    """A question as people type it: a lead-in, lower case, a swapped pair of letters (never in a name the
    plan copies), no final mark."""
    lead = rng.choice(_LEADS)
    text = lead + (text[0].lower() + text[1:] if lead and not text[:2].isupper() else text)
    roll = rng.random()
    if roll < 0.15:
        text = text.lower()
    elif roll < 0.25:
        text = _typo(text, rng, named)
    if rng.random() < 0.15:
        text = text.rstrip("?.")
    return text


def words_of(kind: str, field_name: str) -> list[str]:
    return [w for w, f in field_words(kinds()[kind]).items() if f == field_name and len(w) > 2]


# --- shapes ------------------------------------------------------------------------------------------------

Shape = Callable[["Values"], tuple[str, dict, list[str]]]
SHAPES: dict[str, Shape] = {}


def shape(name: str):
    def register(function: Shape) -> Shape:
        SHAPES[name] = function
        return function
    return register


_GET = ["What is the {w} of {g}?", "What are the {w} of {g}?", "{g} {w}", "{w} of {g}", "Tell me the {w} for {g}.",
        "Look up {g}'s {w}.", "I need the {w} for gene {g}", "{g}: {w}?", "Show the {w} of {g}", "{w} for {g}?",
        "Which {w} does {g} have?", "Find the {w} of the {g} gene."]
_GENE_FIELDS = ["aliases", "previous_symbols", "name", "strand", "length", "start", "end", "gene_groups", "refseq",
                "mane_select", "ensembl_id", "entrez_id", "hgnc_id", "uniprot_ids", "omim_id", "cytoband", "chromosome",
                "symbol", "locus_type", "tss"]
_GENE_LINKS = ["disease", "go_process", "go_function", "go_component", "cell_type"]


@shape("get:gene-field")
def _get_field(v: Values):
    field_name = v.pick(_GENE_FIELDS + _GENE_LINKS)
    gene, name = v.gene()
    question = v.pick(_GET).format(w=v.pick(words_of("gene", field_name)), g=name)
    return question, {"op": "get", "ask": field_name, "names": [name]}, [gene["symbol"]]


@shape("get:gene-location")
def _get_location(v: Values):
    gene, name = v.gene()
    question = v.pick(["Where exactly does {g} sit on GRCh38?", "Genomic coordinates of {g}",
                       "Give me the chromosome coordinates of {g}.", "{g} location on the genome"]).format(g=name)
    return question, {"op": "get", "ask": "location", "names": [name]}, [gene["symbol"]]


@shape("check:locus")
def _check_locus(v: Values):
    gene, name = v.gene()
    phrase = v.pick(["protein-coding", "protein coding", "a protein-coding gene"])
    question = v.pick(["Is {g} {p}?", "Does {g} code for a protein?", "{g} {p}: yes or no?",
                       "Tell me whether {g} is {p}."]).format(g=name, p=phrase)
    return question, {"op": "check", "names": [name], "where": [{"on": "locus_group",
                                                                 "values": ["protein-coding gene"]}]}, [gene["symbol"]]


@shape("check:chromosome")
def _check_chromosome(v: Values):
    gene, name = v.gene()
    chromosome = gene["c"] if v.rng.random() < 0.5 else v.pick([str(i) for i in range(1, 23)] + ["X"])
    question = v.pick(["Is {g} on chromosome {c}?", "Does {g} lie on chr{c}?", "{g} located on chromosome {c}?",
                       "Is the {g} gene found on chromosome {c}?"]).format(g=name, c=chromosome)
    return question, {"op": "check", "names": [name], "where": [{"on": "chromosome", "values": [chromosome]}]}, \
        [gene["symbol"]]


@shape("check:cell_type")
def _check_marker(v: Values):
    gene, name = v.gene()
    cell = v.pick(v.cells)
    question = v.pick(["Is {g} a marker of {c}?", "Does {g} mark {c} cells?", "{g} as a marker for {c}: true?",
                       "Is {g} listed among {c} markers?"]).format(g=name, c=cell["name"])
    return question, {"op": "check", "names": [name], "where": [{"on": "cell_type", "values": [cell["name"]]}]}, \
        [gene["symbol"], cell["name"]]


@shape("check:gene_group")
def _check_group(v: Values):
    gene, name = v.gene()
    group = v.pick(v.groups)
    question = v.pick(["Is {g} a member of the {x} group?", "Does {g} belong to gene group '{x}'?"]).format(
        g=name, x=group)
    return question, {"op": "check", "names": [name], "where": [{"on": "gene_group", "values": [group]}]}, \
        [gene["symbol"], group]


def _two_genes(v: Values):
    (a, na), (b, nb) = v.gene(), v.gene()
    return a, na, b, nb


@shape("compare:chromosome")
def _compare_chromosome(v: Values):
    a, na, b, nb = _two_genes(v)
    if v.rng.random() < 0.5:
        question = v.pick(["Are {a} and {b} on the same chromosome?", "Do {a} and {b} share a chromosome?",
                           "Same chromosome for {a} and {b}?"]).format(a=na, b=nb)
        op = "check"
    else:
        question = v.pick(["Which chromosomes are {a} and {b} on?", "Compare the chromosomes of {a} and {b}."]
                          ).format(a=na, b=nb)
        op = "compare"
    return question, {"op": op, "ask": "chromosome", "names": [na, nb]}, [a["symbol"], b["symbol"]]


@shape("compare:strand")
def _compare_strand(v: Values):
    a, na, b, nb = _two_genes(v)
    question = v.pick(["Are {a} and {b} on the same strand?", "Do {a} and {b} run on one strand?"]).format(a=na, b=nb)
    return question, {"op": "check", "ask": "strand", "names": [na, nb]}, [a["symbol"], b["symbol"]]


@shape("compare:length")
def _compare_length(v: Values):
    a, na, b, nb = _two_genes(v)
    shorter = v.rng.random() < 0.3
    if v.rng.random() < 0.4:
        question = (f"Is {na} shorter than {nb}?" if shorter else
                    v.pick(["Is {a} longer than {b}?", "Is {a} a bigger gene than {b}?"]).format(a=na, b=nb))
        plan = {"op": "check", "ask": "length", "names": [na, nb]}
    else:
        question = (f"Which is shorter, {na} or {nb}?" if shorter else
                    v.pick(["Which gene is longer: {a} or {b}?", "{a} or {b}, which spans more bases?",
                            "Compare the sizes of {a} and {b}."]).format(a=na, b=nb))
        plan = {"op": "compare", "ask": "length", "names": [na, nb]}
    if shorter:
        plan["order"] = "asc"
    return question, plan, [a["symbol"], b["symbol"]]


@shape("compare:shared")
def _compare_shared(v: Values):
    a, na, b, nb = _two_genes(v)
    field_name = v.pick(["disease", "go_process", "go_function", "gene_groups", "cell_type"])
    w = v.pick(words_of("gene", field_name))
    question = v.pick(["Which {w} do {a} and {b} share?", "{w} shared by {a} and {b}",
                       "What {w} are common to {a} and {b}?", "List the {w} of both {a} and {b}."]).format(
        w=w, a=na, b=nb)
    return question, {"op": "compare", "ask": field_name, "names": [na, nb]}, [a["symbol"], b["symbol"]]


def _distance(v: Values) -> tuple[str, int]:
    return v.pick([("50 kb", 50_000), ("100kb", 100_000), ("200 kb", 200_000), ("500 kb", 500_000),
                   ("1 Mb", 1_000_000), ("1.5 Mb", 1_500_000), ("2Mb", 2_000_000), ("300,000 bp", 300_000)])


@shape("list:within")
def _list_within(v: Values):
    gene, name = v.gene()
    text, bp = _distance(v)
    count = v.rng.random() < 0.3
    if count:
        question = v.pick(["How many genes are within {d} of {g}?", "Count genes within {d} of {g}."])
    else:
        question = v.pick(["Which genes lie within {d} of {g}?", "Genes within {d} of {g}",
                           "List all genes in a {d} window around {g}.", "What is near {g}, within {d}?"])
    plan = {"op": "count" if count else "list",
            "where": [{"on": "location", "op": "within", "values": [name], "distance": bp}]}
    return question.format(d=text, g=name), plan, [gene["symbol"]]


def _position(v: Values) -> tuple[str, str, str]:
    gene = v.pick(v.genes)
    position = (gene["start"] + gene["e"]) // 2 + v.rng.randrange(-20_000, 20_000)
    return gene["c"], f"{position:,}", f"chr{gene['c']}:{position}"


@shape("list:position")
def _list_position(v: Values):
    chromosome, written, value = _position(v)
    question = v.pick(["Which gene overlaps chr{c}:{p}?", "What gene is at position {p} on chromosome {c}?",
                       "genes at chr{c}:{p}"]).format(c=chromosome, p=written)
    return question, {"op": "list", "where": [{"on": "location", "op": "overlaps", "values": [value]}]}, []


@shape("nearest:position")
def _nearest_position(v: Values):
    chromosome, written, value = _position(v)
    question = v.pick(["What is the closest gene to chr{c}:{p}?", "Nearest gene to position {p} on chromosome {c}",
                       "Which gene lies nearest chr{c}:{p}?"]).format(c=chromosome, p=written)
    return question, {"op": "nearest", "where": [{"on": "location", "op": "overlaps", "values": [value]}],
                      "limit": 1}, []


@shape("nearest:gene")
def _nearest_gene(v: Values):
    gene, name = v.gene()
    n = v.pick([1, 3, 5])
    question = (f"Which gene is closest to {name}?" if n == 1 else f"Name the {n} genes nearest to {name}.")
    return question, {"op": "nearest", "names": [name], "limit": n}, [gene["symbol"]]


@shape("list:band")
def _list_band(v: Values):
    band = v.pick(v.bands)
    count = v.rng.random() < 0.3
    question = (v.pick(["How many genes are in {b}?", "Count the genes in band {b}."]) if count else
                v.pick(["Which genes map to {b}?", "List genes located in cytoband {b}.", "genes in {b}"]))
    return question.format(b=band), {"op": "count" if count else "list",
                                     "where": [{"on": "cytoband", "values": [band]}]}, [band]


def _gene_condition(v: Values) -> tuple[str, dict, str]:
    """A condition on genes in words, its plan condition and the value it names."""
    kind = v.pick(["chromosome", "group", "disease", "go", "cell", "locus"])
    if kind == "chromosome":
        c = v.pick([str(i) for i in range(1, 23)] + ["X"])
        return f"on chromosome {c}", {"on": "chromosome", "values": [c]}, c
    if kind == "group":
        group = v.pick(v.groups)
        return v.pick([f"in the {group} group", f"in gene group '{group}'"]), \
            {"on": "gene_group", "values": [group]}, group
    if kind == "disease":
        disease = v.pick(v.diseases)
        return v.pick([f"associated with {disease}", f"linked to {disease}"]), \
            {"on": "disease", "values": [disease]}, disease
    if kind == "go":
        term = v.pick(v.go)
        return v.pick([f"involved in {term}", f"annotated with {term}"]), {"on": "go_term", "values": [term]}, term
    if kind == "cell":
        cell = v.pick(v.cells)
        return f"marking {cell['name']}", {"on": "cell_type", "values": [cell["name"]]}, cell["name"]
    return "that are protein-coding", {"on": "locus_group", "values": ["protein-coding gene"]}, "protein-coding"


@shape("list:genes-where")
def _list_where(v: Values):
    (first, c1, x1), (second, c2, x2) = _gene_condition(v), _gene_condition(v)
    if c1["on"] == c2["on"]:
        return _list_where(v)
    negate = v.rng.random() < 0.25
    if negate:
        second = second.replace("on chromosome", "not on chromosome") if c2["on"] == "chromosome" else \
            "but not " + second
        c2 = c2 | {"op": "not"}
    count = v.rng.random() < 0.3
    opening = v.pick(["How many genes are", "Count the genes"]) if count else \
        v.pick(["Which genes are", "List the genes", "Show me genes", "Find genes"])
    question = f"{opening} {first} {'and ' if not negate else ''}{second}?"
    return question, {"op": "count" if count else "list", "where": [c1, c2]}, [x1, x2]


@shape("list:markers")
def _list_markers(v: Values):
    cell = v.pick(v.cells)
    with_tissue = v.rng.random() < 0.5
    named = f"{cell['name']} in {cell['tissue']}" if with_tissue else cell["name"]
    question = v.pick(["What are the markers of {c}?", "Marker genes for {c}", "Which genes mark {c}?",
                       "List {c} marker genes."]).format(c=named)
    return question, {"op": "list", "where": [{"on": "cell_type", "values": [named]}]}, [cell["name"]]


@shape("list:cell-types-of-gene")
def _cell_types_of(v: Values):
    gene, name = v.gene()
    if v.rng.random() < 0.5:
        question = v.pick(["Which cell types does {g} mark?", "In which tissues is {g} a marker?"]).format(g=name)
        plan = {"op": "get", "ask": "cell_type", "names": [name]} if "cell types" in question else \
            {"op": "list", "find": "cell_type", "ask": "tissue", "where": [{"on": "gene", "values": [name]}]}
        return question, plan, [gene["symbol"]]
    (a, na), (b, nb), (c, nc) = v.gene(), v.gene(), v.gene()
    question = v.pick(["Which cell type do {a}, {b} and {c} mark?",
                       "What cell type has {a}, {b} and {c} as markers?"]).format(a=na, b=nb, c=nc)
    return question, {"op": "list", "find": "cell_type", "where": [{"on": "gene", "op": "all",
                                                                   "values": [na, nb, nc]}]}, \
        [a["symbol"], b["symbol"], c["symbol"]]


@shape("list:disease-not-gene")
def _diseases_not(v: Values):
    a, na, b, nb = _two_genes(v)
    question = v.pick(["Which conditions are linked to {a} but not {b}?", "Diseases of {a} that {b} lacks"]).format(
        a=na, b=nb)
    return question, {"op": "list", "find": "disease", "where": [{"on": "gene", "values": [na]},
                                                                {"on": "gene", "op": "not", "values": [nb]}]}, \
        [a["symbol"], b["symbol"]]


@shape("list:experiment-values")
def _experiment_values(v: Values):
    target, sample = v.pick(v.targets), v.pick(v.samples)
    ask = v.pick(["biosample", "target", "assay"])
    if ask == "biosample":
        question = v.pick(["Which biosamples have {t} ChIP-seq?", "In which cell lines was {t} profiled?"]).format(
            t=target)
        where = [{"on": "target", "values": [target]}] + ([{"on": "assay", "values": ["ChIP-seq"]}]
                                                          if "ChIP" in question else [])
        return question, {"op": "list", "find": "experiment", "ask": "biosample", "where": where}, [target]
    if ask == "target":
        question = v.pick(["Which targets were assayed by TF ChIP-seq in {s}?", "TF ChIP-seq targets in {s}"]).format(
            s=sample)
        return question, {"op": "list", "find": "experiment", "ask": "target", "where": [
            {"on": "assay", "values": ["TF ChIP-seq"]}, {"on": "biosample", "values": [sample]}]}, [sample]
    question = f"Which assays were run on {sample}?"
    return question, {"op": "list", "find": "experiment", "ask": "assay", "where": [
        {"on": "biosample", "values": [sample]}]}, [sample]


@shape("list:experiment-both")
def _experiment_both(v: Values):
    s1, s2 = v.rng.sample(v.samples, 2)
    question = v.pick(["Which TF ChIP-seq targets were profiled in both {a} and {b}?",
                       "Targets with TF ChIP-seq in {a} and in {b}"]).format(a=s1, b=s2)
    return question, {"op": "list", "find": "experiment", "ask": "target", "where": [
        {"on": "assay", "values": ["TF ChIP-seq"]}, {"on": "biosample", "op": "all", "values": [s1, s2]}]}, [s1, s2]


@shape("count:experiment-target-not")
def _experiment_not(v: Values):
    s1, s2 = v.rng.sample(v.samples, 2)
    question = v.pick(["How many TF ChIP-seq targets were profiled in {a} but not {b}?",
                       "Count targets with TF ChIP-seq in {a} and none in {b}."]).format(a=s1, b=s2)
    return question, {"op": "count", "find": "experiment", "ask": "target", "where": [
        {"on": "assay", "values": ["TF ChIP-seq"]}, {"on": "biosample", "values": [s1]},
        {"on": "biosample", "op": "not", "values": [s2]}]}, [s1, s2]


@shape("count:experiments")
def _count_experiments(v: Values):
    sample = v.pick(v.samples)
    assay = v.pick(["TF ChIP-seq", "DNase-seq", "ChIP-seq"])
    question = v.pick(["How many {a} experiments were done in {s}?", "Number of {a} experiments on {s}",
                       "count {a} experiments in {s}"]).format(a=assay, s=sample)
    return question, {"op": "count", "find": "experiment", "where": [{"on": "assay", "values": [assay]},
                                                                     {"on": "biosample", "values": [sample]}]}, \
        [sample]


@shape("count:tracks")
def _count_tracks(v: Values):
    if v.rng.random() < 0.5:
        mark = v.pick(v.marks)
        question = v.pick(["How many Enformer tracks measure {m}?", "Number of {m} tracks in Enformer"]).format(m=mark)
        return question, {"op": "count", "find": "track", "where": [{"on": "target", "values": [mark]}]}, [mark]
    assay, sample = v.pick(["DNase", "CAGE", "ATAC"]), v.pick(v.track_samples)
    question = f"How many {assay} tracks are there for {sample}?"
    return question, {"op": "count", "find": "track", "where": [{"on": "assay", "values": [assay]},
                                                                {"on": "biosample", "values": [sample]}]}, [sample]


@shape("rank:groups")
def _rank_groups(v: Values):
    n = v.pick([1, 1, 3, 5, 10])
    if v.rng.random() < 0.5:
        locus = v.pick([("protein-coding", "protein-coding gene", "locus_group"),
                        ("pseudogene", "pseudogene", "locus_group"), ("lncRNA", "RNA, long non-coding", "locus_type")])
        question = (f"Which chromosome has the most {locus[0]} genes?" if n == 1 else
                    f"Top {n} chromosomes by number of {locus[0]} genes")
        plan = {"op": "rank", "where": [{"on": locus[2], "values": [locus[1]]}], "by": "chromosome", "limit": n}
        return question, plan, []
    assay = v.pick(["TF ChIP-seq", "ChIP-seq", "DNase-seq"])
    by = v.pick(["target", "biosample"]) if assay != "DNase-seq" else "biosample"
    question = (f"Which {by} has the most {assay} experiments?" if n == 1 else
                f"What are the top {n} {by}s by number of {assay} experiments?")
    return question, {"op": "rank", "find": "experiment", "where": [{"on": "assay", "values": [assay]}], "by": by,
                      "limit": n}, []


@shape("rank:length")
def _rank_length(v: Values):
    c = v.pick([str(i) for i in range(1, 23)] + ["X"])
    shortest = v.rng.random() < 0.3
    question = (f"What is the shortest protein-coding gene on chromosome {c}?" if shortest else
                v.pick([f"Which protein-coding gene on chr{c} is the longest?",
                        f"Longest protein-coding gene of chromosome {c}"]))
    plan = {"op": "rank", "ask": "length", "where": [{"on": "locus_group", "values": ["protein-coding gene"]},
                                                     {"on": "chromosome", "values": [c]}], "limit": 1}
    if shortest:
        plan["order"] = "asc"
    return question, plan, []


@shape("rank:disease")
def _rank_disease(v: Values):
    group = v.pick(v.groups)
    question = v.pick(["Which gene in the {x} group has the most associated conditions?",
                       "Gene of group '{x}' linked to the most diseases"]).format(x=group)
    return question, {"op": "rank", "ask": "disease", "where": [{"on": "gene_group", "values": [group]}],
                      "limit": 1}, [group]


@shape("tool:describe")
def _describe(v: Values):
    gene, name = v.gene()
    question = v.pick(["What does {g} do?", "Describe the function of {g}.", "Summarize the role of {g}",
                       "{g} function"]).format(g=name)
    return question, {"op": "tool", "tool": "describe", "names": [name]}, [gene["symbol"]]


@shape("tool:enrichment")
def _enrichment(v: Values):
    genes = [v.gene() for _ in range(v.pick([3, 4, 5]))]
    listed = ", ".join(n for _, n in genes)
    question = v.pick(["Which GO process is enriched in {l}?", "Run a GO enrichment on {l}.",
                       "What do {l} have in common?"]).format(l=listed)
    return question, {"op": "tool", "tool": "go_enrichment", "names": [n for _, n in genes]}, \
        [g["symbol"] for g, _ in genes]


@shape("tool:tracks")
def _tracks(v: Values):
    gene, name = v.gene()
    sample = v.pick(v.track_samples)
    assay = v.pick(["DNase", "CAGE", "H3K27ac", "ATAC"])
    question = v.pick(["Predict the {a} signal around {g} in {s}.", "Run Enformer on {g} and show {a} in {s}"]).format(
        a=assay, g=name, s=sample)
    where = [{"on": "assay", "values": [assay]}, {"on": "biosample", "values": [sample]}]
    return question, {"op": "tool", "tool": "tracks", "find": "track", "names": [name], "where": where}, \
        [gene["symbol"]]


_DECLINES = {
    "other_species": ["What is the {s} ortholog of {g}?", "Where is {g} in the {s} genome?",
                      "Give me the {s} version of {g}."],
    "variant": ["What does rs{n} do?", "Which gene contains rs{n}?", "Is rs{n} pathogenic?"],
    "expression": ["What is the expression level of {g} in {t}?", "TPM of {g} across tissues",
                   "How highly is {g} expressed in {t}?"],
    "exon": ["How many exons does {g} have?", "Show the exon structure of {g}.", "List the isoforms of {g}."],
    "structure": ["What is the crystal structure of {g}?", "Show me the 3D structure of the {g} protein."],
}


@shape("decline")
def _decline(v: Values):
    reason = v.pick(list(_DECLINES))
    gene, name = v.gene()
    question = v.pick(_DECLINES[reason]).format(
        g=name, s=v.pick(["mouse", "zebrafish", "rat", "yeast", "fly"]), n=v.rng.randrange(1000, 99_999_999),
        t=v.pick(["liver", "brain", "kidney", "heart"]))
    return question, {"op": "decline", "decline": reason}, [gene["symbol"]]


# --- assembling ----------------------------------------------------------------------------------------------

def as_written(plan: dict[str, Any], question: str) -> dict[str, Any]:
    """The plan's names and values as the question writes them (a lower-cased question has lower-cased
    names): the parser copies what it reads, and the linker finds the records."""
    lowered = question.lower()

    def written(value: Any) -> Any:
        if not isinstance(value, str) or value in question:
            return value
        at = lowered.find(value.lower())
        return question[at:at + len(value)] if at >= 0 else value

    out = dict(plan)
    if "names" in out:
        out["names"] = [written(n) for n in out["names"]]
    if "where" in out:
        out["where"] = [c | {"values": [written(x) for x in c.get("values", [])]} for c in out["where"]]
    return out


def evaluation_phrasings(root: Path) -> set[str]:
    """The phrasings of the agent's evaluation questions, with gene-like tokens and numbers taken out."""
    phrasings = set()
    for name in EVAL_FILES:
        path = root / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            question = json.loads(line)["question"] if line.startswith("{") else line.split("\t")[-2 if "\t" in
                                                                                                   line else 0]
            tokens = [t for t in re.findall(r"\S+", question) if not re.search(r"[A-Z0-9]{2,}|\d", t)]
            phrasings.add(" ".join(re.findall(r"[a-z]+", " ".join(tokens).lower())))
    return phrasings


def _phrasing(question: str) -> str:
    tokens = [t for t in re.findall(r"\S+", question) if not re.search(r"[A-Z0-9]{2,}|\d", t)]
    return " ".join(re.findall(r"[a-z]+", " ".join(tokens).lower()))


def generate(graph, per_shape: int = 100, seed: int = 7, root: Path | None = None) -> Iterator[Pair]:
    """Pairs of every shape, kept when the plan validates and runs and the phrasing is not an evaluation
    question's; the split follows the held-out shapes and values."""
    rng = random.Random(seed)
    values = Values(graph, rng, seed)
    held_phrasings = evaluation_phrasings(root or Path(__file__).resolve().parents[1])
    seen: set[str] = set()
    for name, make in SHAPES.items():
        kept, tries = 0, 0
        while kept < per_shape and tries < per_shape * 6:
            tries += 1
            question, plan_dict, named = make(values)
            question = surface(question, rng, named + plan_dict.get("names", []))
            plan_dict = as_written(plan_dict, question)
            if question.lower() in seen or _phrasing(question) in held_phrasings:
                continue
            try:
                plan = Plan.model_validate(plan_dict)
                if plan.op not in {"tool", "decline"}:
                    run_plan(plan, graph)
            except (GeneverseError, ValueError):
                continue
            seen.add(question.lower())
            kept += 1
            held = name in HELD_OUT_SHAPES or any(values.held(v) for v in named)
            split = "test" if held else ("val" if rng.random() < VAL_SHARE else "train")
            yield Pair(question=question, plan=compact(plan), shape=name, values=named, split=split)


def write_parser_data(graph, out: Path, per_shape: int = 100, seed: int = 7) -> dict[str, Any]:
    """train / val / test JSONL of instruction records (question -> plan JSON) and the data card."""
    pairs = list(generate(graph, per_shape, seed))
    by_split: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_split[pair.split].append(pair)
    out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val", "test"):
        lines = [json.dumps({"instruction": p.question, "output": json.dumps(p.plan, separators=(",", ":")),
                             "source": f"parser:{p.shape}", "split": split}) for p in by_split[split]]
        write_atomic(out / f"{split}.jsonl", "".join(line + "\n" for line in lines))
    counts = {split: Counter(p.shape for p in by_split[split]) for split in ("train", "val", "test")}
    card = {
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed, "per_shape": per_shape,
        "system": PARSER_SYSTEM, "records": {split: len(by_split[split]) for split in ("train", "val", "test")},
        "held_out_shapes": list(HELD_OUT_SHAPES), "held_out_value_share": HELD_OUT_VALUE_SHARE,
        "shapes": {name: {split: counts[split][name] for split in counts} for name in SHAPES},
    }
    write_atomic(out / "data_card.json", json.dumps(card, indent=1) + "\n")
    write_atomic(out / "README.md", data_card_text(card))
    return card


def data_card_text(card: dict[str, Any]) -> str:
    rows = "\n".join(f"| {name} | {c['train']} | {c['val']} | {c['test']} |" for name, c in card["shapes"].items())
    return f"""# Parser data: questions -> typed plans

Built {card['built_at']} by `geneverse finetune parser-data` (seed {card['seed']}, {card['per_shape']} tries per
shape). Records: {card['records']['train']:,} train, {card['records']['val']:,} validation, {card['records']['test']:,} test.

How pairs were made: every shape composes its questions from an opening, the schema's words for the asked field
or kind, names drawn from the graph (official symbols, aliases and previous symbols; conditions, GO processes,
gene groups, cell types with their tissues, biosamples, targets, bands, positions from gene spans) and a surface
form (question, imperative, fragment, lead-in words, lower case, a swapped pair of letters, no final mark). A pair
was kept only when its plan validated against the schema and ran on the graph (tools and refusals are not
graph queries and are kept as written). No question whose phrasing (names and numbers taken out) is one of the
agent's evaluation questions was kept ({', '.join(EVAL_FILES)}); no public benchmark item is used.

Test split: every pair of the held-out shapes ({', '.join(card['held_out_shapes'])}) and every pair naming a
held-out value ({card['held_out_value_share']:.0%} of genes, conditions, groups, cell types and biosamples, by a
seeded hash). The prompt's system line: "{card['system']}".

| shape | train | val | test |
|---|---|---|---|
{rows}
"""
