"""First-day questions of every kind a biologist asks, with gold answers computed from the raw releases in
`data/` by code that shares nothing with the agent (no import of kg, tools or agent): gene attributes, two
genes compared, neighbourhoods and coordinates, set composition, negation / aggregation / top-N, cell-type
markers, and questions about data the graph does not hold (to be declined).

Three families with their own phrasings: `a` was written before the typed question plan and is the tuning
family; `b` was written after the plan was built (its first run is a held-out figure; general fixes followed);
`c` was written after the semantic parser was trained and is run once for the final report.

    python -m evals.agent.firstday --family a --out evals/agent/firstday_a.jsonl
    python -m evals.agent.firstday --family b --out evals/agent/firstday_b.jsonl
    python -m evals.agent.firstday --family c --out evals/agent/firstday_c.jsonl

Each JSON line: {"id", "family", "kind", "question", "gold"}; gold is one of
{"type": "values", "values": [...]} (every value named), {"type": "set", "values": [...]} (the listed records),
{"type": "number", "value": n}, {"type": "yesno", "value": bool}, {"type": "name", "value": "..."} or
{"type": "decline"}."""

import argparse
import csv
import gzip
import json
import random
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data"


# --- raw releases ------------------------------------------------------------------------------------------

def _split(value: str) -> list[str]:
    value = value.strip().strip('"')
    return [v for v in value.split("|") if v] if value else []


class Raw:
    """The releases as plain tables, read with csv alone."""

    def __init__(self, data: Path = DATA):
        with gzip.open(data / "hgnc/hgnc_complete_set_2024-10-18.txt.gz", "rt") as handle:
            self.hgnc = {r["symbol"]: r for r in csv.DictReader(handle, delimiter="\t")}
        self.by_hgnc_id = {r["hgnc_id"]: s for s, r in self.hgnc.items()}
        self.span: dict[str, tuple[str, int, int, str]] = {}
        with gzip.open(data / "gencode/gencode_v29_genes_GRCh38_with_hgnc.tsv.gz", "rt") as handle:
            for r in csv.DictReader(handle, delimiter="\t"):
                symbol = self.by_hgnc_id.get(r["hgnc_id"])
                if symbol and symbol not in self.span:  # a pseudoautosomal gene keeps its chrX span
                    self.span[symbol] = (r["chrom"].removeprefix("chr"), int(r["start_1based"]), int(r["end"]),
                                         r["strand"])
        self.entrez_symbol = {r["entrez_id"]: s for s, r in self.hgnc.items() if r["entrez_id"]}
        self.go_names: dict[str, tuple[str, str]] = {}
        for aspect, name in (("BP", "BiologicalProcess"), ("MF", "MolecularFunction"), ("CC", "CellularComponent")):
            with gzip.open(data / f"go/actiobio_node_{name}.csv.gz", "rt") as handle:
                for r in csv.DictReader(handle):
                    self.go_names[r["identifier"]] = (r["name"], aspect)
        self.go: dict[str, set[str]] = defaultdict(set)  # symbol -> direct GO ids
        self.go_all: dict[str, set[str]] = defaultdict(set)  # and the terms they imply (is_a ancestors)
        for edge in ("enables_MolecularFunction", "involvedIn_BiologicalProcess", "locatedIn_CellularComponent"):
            with gzip.open(data / f"go/actiobio_edge_Gene_{edge}.csv.gz", "rt") as handle:
                for r in csv.DictReader(handle):
                    symbol = self.entrez_symbol.get(r["source_id"])
                    if symbol:
                        self.go_all[symbol].add(r["target_id"])
                        if r["type"] == "direct":
                            self.go[symbol].add(r["target_id"])
        self.conditions: dict[str, set[str]] = defaultdict(set)  # symbol -> ClinVar and HPO condition names
        with open(data / "clinvar/gene_condition_source_id.txt") as handle:
            for r in csv.DictReader(handle, delimiter="\t"):
                symbol = self.entrez_symbol.get(r["#GeneID"])
                if symbol:
                    self.conditions[symbol].add(r["DiseaseName"])
        with gzip.open(data / "hpo/phenotype_hpoa_disease_names.tsv.gz", "rt") as handle:
            hpo_names = {r["database_id"]: r["disease_name"] for r in csv.DictReader(handle, delimiter="\t")}
        with open(data / "hpo/genes_to_disease.txt") as handle:
            for r in csv.DictReader(handle, delimiter="\t"):
                symbol = self.entrez_symbol.get(r["ncbi_gene_id"].removeprefix("NCBIGene:"))
                if symbol and r["disease_id"] in hpo_names:
                    self.conditions[symbol].add(hpo_names[r["disease_id"]])
        with open(data / "markers/gptcelltype_all_marker_annotations.csv") as handle:
            self.markers = [r for r in csv.DictReader(handle) if r["dataset"] != "MCA"
                            and r["manual_annotation"] not in ("", "NA")]
        self.experiments: dict[str, dict] = {}
        with gzip.open(data / "encode/ENCODE_metadata_promoter_models.tsv.gz", "rt") as handle:
            for r in csv.DictReader(handle, delimiter="\t"):
                self.experiments[r["Experiment accession"]] = {
                    "assay": r["Assay"], "biosample": r["Biosample term name"],
                    "target": r["Experiment target"].removesuffix("-human")}
        with open(data / "enformer/targets_human.txt") as handle:
            self.tracks = [r["description"] for r in csv.DictReader(handle, delimiter="\t")]

    def chromosome(self, symbol: str) -> str:
        """GENCODE's chromosome, else the one HGNC's location names."""
        if symbol in self.span:
            return self.span[symbol][0]
        location = self.hgnc[symbol]["location"]
        return next((c for c in [*map(str, range(22, 0, -1)), "X", "Y"] if location.startswith(c)), "")

    def coding(self) -> list[str]:
        """Protein-coding HGNC genes with GENCODE v29 coordinates on a primary chromosome."""
        return sorted(s for s, r in self.hgnc.items() if r["locus_group"] == "protein-coding gene" and s in self.span
                      and self.span[s][0] in {str(i) for i in range(1, 23)} | {"X", "Y"})

    def within(self, symbol: str, distance: int) -> set[str]:
        chrom, start, end, _ = self.span[symbol]
        return {s for s, (c, a, b, _) in self.span.items()
                if c == chrom and a <= end + distance and b >= start - distance and s != symbol}

    def overlapping(self, chrom: str, position: int) -> set[str]:
        return {s for s, (c, a, b, _) in self.span.items() if c == chrom and a <= position <= b}

    def nearest(self, chrom: str, position: int) -> str:
        def distance(item):
            _, (_, a, b, _) = item
            return 0 if a <= position <= b else min(abs(a - position), abs(b - position))
        return min(((s, v) for s, v in self.span.items() if v[0] == chrom), key=distance)[0]

    def band_genes(self, band: str) -> set[str]:
        """Genes in a band and its sub-bands (1p36.1 holds 1p36.11 ... 1p36.13), or in a range starting there."""
        def inside(location: str) -> bool:
            if location == band or location.startswith((band + "-", band + ".")):
                return True
            return "." in band and location.startswith(band) and location[len(band):len(band) + 1].isdigit()
        return {s for s, r in self.hgnc.items() if inside(r["location"])}

    def group_members(self, group: str) -> set[str]:
        if not hasattr(self, "_groups"):
            self._groups: dict[str, set[str]] = defaultdict(set)
            for s, r in self.hgnc.items():
                for grp in _split(r["gene_group"]):
                    self._groups[grp].add(s)
        return self._groups.get(group, set())

    def go_genes(self, go_id: str) -> set[str]:
        """Genes annotated with a term, directly or through a more specific one."""
        if not hasattr(self, "_annotated"):
            self._annotated: dict[str, set[str]] = defaultdict(set)
            for s, ids in self.go_all.items():
                for t in ids:
                    self._annotated[t].add(s)
        return self._annotated.get(go_id, set())


# --- helpers ---------------------------------------------------------------------------------------------

def typo(text: str, rng: random.Random) -> str:
    """One swapped pair of letters in one longer lower-case word, so the question keeps its entities."""
    words = text.split()
    candidates = [i for i, w in enumerate(words) if w.isalpha() and w.islower() and len(w) >= 6]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def vary(question: str, rng: random.Random) -> str:
    """A share of questions in lower case or with a typo, as people type them."""
    roll = rng.random()
    if roll < 0.12:
        return question.lower()
    if roll < 0.22:
        return typo(question, rng)
    return question


def _id_values(record: dict, field: str) -> list[str]:
    return _split(record[field])


# --- family a: phrasings written before the plan ----------------------------------------------------------

A = {
    "aliases": ["What are the aliases of {g}?", "List the alias symbols for {g}.", "{g} aliases", "other names for {g}?",
                "Which alternative symbols does {g} go by?"],
    "previous_symbols": ["What were the previous symbols of {g}?", "Give the former gene symbols of {g}.",
                         "{g}: previous HGNC symbols?", "What did {g} use to be called?"],
    "name": ["What is the full name of {g}?", "Spell out the gene name of {g}.", "{g} full name",
             "What does the symbol {g} stand for?"],
    "strand": ["Which strand is {g} on?", "Is {g} on the plus or minus strand?", "strand of {g}"],
    "length": ["How long is the {g} gene?", "What is the length of {g} in base pairs?", "{g} gene length"],
    "coordinates": ["Where does {g} start on GRCh38?", "What are the genomic coordinates of {g}?",
                    "Give the start position of {g}."],
    "gene_group": ["Which gene group does {g} belong to?", "What HGNC gene family is {g} in?", "{g} gene group"],
    "refseq": ["What is the RefSeq accession of {g}?", "Give the RefSeq ID for {g}."],
    "mane": ["What is the MANE Select transcript of {g}?", "MANE select for {g}?"],
    "ensembl": ["What is the Ensembl gene ID of {g}?", "{g} Ensembl id"],
    "entrez": ["What is the Entrez ID of {g}?", "NCBI gene id of {g}?"],
    "hgnc": ["What is the HGNC ID of {g}?"],
    "uniprot": ["Which UniProt accession belongs to {g}?"],
    "omim": ["What is the OMIM number of {g}?"],
    "same_chromosome": ["Is {a} on the same chromosome as {b}?", "Are {a} and {b} on the same chromosome?",
                        "Do {a} and {b} lie on one chromosome?"],
    "longer": ["Which is longer, {a} or {b}?", "Is {a} longer than {b}?", "Which gene spans more bases: {a} or {b}?",
               "Compare the lengths of {a} and {b}."],
    "shared_go": ["Which GO biological processes do {a} and {b} share?", "What GO processes are common to {a} and {b}?",
                  "Shared GO processes of {a} and {b}"],
    "shared_conditions": ["Which conditions are associated with both {a} and {b}?",
                          "Do {a} and {b} share any associated diseases?"],
    "within": ["Which genes lie within {d} of {g}?", "List the genes within {d} of {g}.", "genes within {d} of {g}",
               "Show me genes located within {d} of {g}."],
    "count_within": ["How many genes are within {d} of {g}?"],
    "at_position": ["Which gene is at chr{c}:{p}?", "What gene overlaps position {p} on chromosome {c}?",
                    "gene at chr{c}:{p}"],
    "nearest": ["Which gene is nearest to chr{c}:{p}?", "What is the closest gene to chr{c}:{p}?"],
    "band": ["Which genes are in band {band}?", "List the genes located in {band}.", "genes in cytoband {band}"],
    "go_and_chromosome": ["Which genes annotated with {term} are on chromosome {c}?",
                          "List genes involved in {term} on chromosome {c}.",
                          "genes with GO term {term} on chr{c}"],
    "disease_and_go": ["Which genes associated with {disease} are involved in {term}?"],
    "group_and_chromosome": ["Which genes in the gene group '{group}' are on chromosome {c}?",
                             "List {group} genes on chromosome {c}.",
                             "How many genes of the group {group} lie on chromosome {c}?"],
    "group_not_chromosome": ["Which genes of the gene group '{group}' are not on chromosome {c}?"],
    "both_biosamples": ["Which TF ChIP-seq targets were profiled in both {s1} and {s2}?",
                        "List targets with TF ChIP-seq in {s1} and also in {s2}."],
    "but_not_biosample": ["Which TF ChIP-seq targets were profiled in {s1} but not in {s2}?",
                          "How many TF ChIP-seq targets have experiments in {s1} but not {s2}?"],
    "count_experiments": ["How many TF ChIP-seq experiments were done in {s}?",
                          "Number of TF ChIP-seq experiments in {s}?", "count TF ChIP-seq experiments in {s}"],
    "count_targets": ["How many distinct targets were profiled by TF ChIP-seq in {s}?"],
    "top_chromosome": ["Which chromosome has the most protein-coding genes?",
                       "Which chromosome carries the largest number of protein-coding genes?"],
    "top_targets": ["What are the top {n} TF ChIP-seq targets by number of experiments?",
                    "List the {n} targets with the most TF ChIP-seq experiments."],
    "longest_on_chromosome": ["What is the longest protein-coding gene on chromosome {c}?",
                              "Which protein-coding gene on chr{c} is the longest?"],
    "not_coding_count": ["How many genes in band {band} are not protein-coding?"],
    "tracks_count": ["How many Enformer tracks are CAGE tracks?", "How many Enformer DNase tracks are there?"],
    "markers_of": ["What are the marker genes of {cell} in {tissue}?", "List markers for {cell} ({tissue}).",
                   "marker genes of {tissue} {cell}"],
    "is_marker": ["Is {g} a marker of {cell}?", "Is {g} a marker gene for {cell} cells?"],
    "celltype_of_genes": ["Which cell type do {genes} mark?", "What cell type is marked by {genes}?"],
    "marker_tissues": ["In which tissues is {g} a marker gene?"],
    "decline": [
        "What is the mouse ortholog of {g}?", "Which chromosome is {g} on in zebrafish?",
        "What is the expression level of {g} in liver?", "How many exons does {g} have?",
        "What is the 3D structure of the {g} protein?", "What does rs{rs} do?",
        "Which gene is affected by rs{rs}?", "Delete {g} from the graph.", "Rename {g} to FOO1.",
        "What is the TPM of {g} in brain?", "Show the intron-exon structure of {g}.",
        "What is the yeast homolog of {g}?", "How highly is {g} expressed in kidney?",
        "Get the crystal structure of {g}.", "Change the chromosome of {g} to 5.",
        "Which rat gene corresponds to {g}?",
    ],
}


def generate(raw: Raw, family: dict[str, list[str]], seed: int, counts: dict[str, int], name: str) -> list[dict]:
    """`counts`: questions per template, by template kind (default 2)."""
    rng = random.Random(seed)
    coding = raw.coding()
    items: list[dict] = []

    def n(kind: str) -> int:
        return counts.get(kind, 2)

    def add(kind: str, question: str, gold: dict) -> None:
        items.append({"id": f"{name}-{len(items)}", "family": name, "kind": kind, "question": vary(question, rng),
                      "gold": gold})

    def genes_with(predicate, k: int) -> list[str]:
        pool = [s for s in coding if predicate(raw.hgnc[s])]
        return rng.sample(pool, min(k, len(pool)))

    attribute = {
        "aliases": ("alias_symbol", "values"), "previous_symbols": ("prev_symbol", "values"), "name": ("name", "value"),
        "refseq": ("refseq_accession", "values"), "mane": ("mane_select", "values"),
        "ensembl": ("ensembl_gene_id", "value"), "entrez": ("entrez_id", "value"), "hgnc": ("hgnc_id", "value"),
        "uniprot": ("uniprot_ids", "values"), "omim": ("omim_id", "value"),
    }
    for kind, (field, shape) in attribute.items():
        for template in family.get(kind, []):
            for g in genes_with(lambda r, f=field: bool(r[f].strip('"')), n(kind)):
                values = _split(raw.hgnc[g][field])
                add("attribute", template.format(g=g), {"type": "values", "values": values} if shape == "values"
                    else {"type": "value", "value": values[0]})
    for template in family.get("strand", []):
        for g in rng.sample(coding, n("strand")):
            add("attribute", template.format(g=g), {"type": "value", "value": raw.span[g][3]})
    for template in family.get("length", []):
        for g in rng.sample(coding, n("length")):
            _, start, end, _ = raw.span[g]
            add("attribute", template.format(g=g), {"type": "number", "value": end - start + 1})
    for template in family.get("coordinates", []):
        for g in rng.sample(coding, n("coordinates")):
            add("attribute", template.format(g=g), {"type": "number", "value": raw.span[g][1]})
    for template in family.get("gene_group", []):
        for g in genes_with(lambda r: bool(r["gene_group"]), n("gene_group")):
            add("attribute", template.format(g=g), {"type": "values", "values": _split(raw.hgnc[g]["gene_group"])})

    def pairs(k: int, same: bool | None = None):
        out = []
        while len(out) < k:
            a, b = rng.sample(coding, 2)
            if same is None or (raw.span[a][0] == raw.span[b][0]) == same:
                out.append((a, b))
        return out

    for template in family.get("same_chromosome", []):
        for i, (a, b) in enumerate(pairs(n("same_chromosome"), same=None)):
            if i % 2 == 0:  # half the pairs share a chromosome
                b = rng.choice([s for s in coding if raw.span[s][0] == raw.span[a][0] and s != a])
            add("compare", template.format(a=a, b=b), {"type": "yesno", "value": raw.span[a][0] == raw.span[b][0]})
    for template in family.get("longer", []):
        for a, b in pairs(n("longer")):
            la, lb = (raw.span[x][2] - raw.span[x][1] + 1 for x in (a, b))
            if template.startswith("Is "):
                add("compare", template.format(a=a, b=b), {"type": "yesno", "value": la > lb})
            else:
                add("compare", template.format(a=a, b=b), {"type": "name", "value": a if la > lb else b})
    for template in family.get("shared_go", []):
        found = 0
        for a, b in pairs(n("shared_go") * 20):
            shared = {raw.go_names[t][0] for t in raw.go[a] & raw.go[b]
                      if t in raw.go_names and raw.go_names[t][1] == "BP"}
            if shared and found < n("shared_go"):
                add("compare", template.format(a=a, b=b), {"type": "set", "values": sorted(shared)})
                found += 1
    for template in family.get("shared_conditions", []):
        found = 0
        for g in rng.sample([s for s in coding if len(raw.conditions[s]) >= 2], 400):
            partners = [s for s in coding if s != g and raw.conditions[s] & raw.conditions[g]]
            if partners:
                b = rng.choice(partners)
                shared = sorted(raw.conditions[g] & raw.conditions[b])
                gold = {"type": "yesno", "value": True} if template.split()[0] in {"Do", "Are", "Does", "Is"} else \
                    {"type": "set", "values": shared}
                add("compare", template.format(a=g, b=b), gold)
                found += 1
                if found >= n("shared_conditions"):
                    break

    distances = [("500 kb", 500_000), ("1 Mb", 1_000_000), ("100 kb", 100_000), ("250kb", 250_000), ("2 Mb", 2_000_000)]
    for template in family.get("within", []):
        for g in rng.sample(coding, n("within")):
            text, d = rng.choice(distances)
            add("neighbourhood", template.format(g=g, d=text), {"type": "set", "values": sorted(raw.within(g, d))})
    for template in family.get("count_within", []):
        for g in rng.sample(coding, n("count_within")):
            text, d = rng.choice(distances)
            add("neighbourhood", template.format(g=g, d=text), {"type": "number", "value": len(raw.within(g, d))})
    for template in family.get("at_position", []):
        for g in rng.sample(coding, n("at_position")):
            chrom, start, end, _ = raw.span[g]
            position = (start + end) // 2
            add("neighbourhood", template.format(c=chrom, p=f"{position:,}"),
                {"type": "set", "values": sorted(raw.overlapping(chrom, position))})
    for template in family.get("nearest", []):
        for g in rng.sample(coding, n("nearest")):
            chrom, start, _, _ = raw.span[g]
            position = max(1, start - rng.randrange(2_000, 40_000))
            add("neighbourhood", template.format(c=chrom, p=f"{position:,}"),
                {"type": "name", "value": raw.nearest(chrom, position)})
    bands = sorted({r["location"] for r in raw.hgnc.values() if "." in r["location"] and "-" not in r["location"]
                    and r["location"][0].isdigit() and " " not in r["location"]})
    for template in family.get("band", []):
        for band in rng.sample(bands, n("band")):
            add("neighbourhood", template.format(band=band), {"type": "set", "values": sorted(raw.band_genes(band))})

    go_terms = [t for t, (n, aspect) in raw.go_names.items() if aspect == "BP" and 20 <= len(raw.go_genes(t)) <= 150] \
        if family.get("go_and_chromosome") or family.get("disease_and_go") else []
    for template in family.get("go_and_chromosome", []):
        for term in rng.sample(go_terms, n("go_and_chromosome")):
            members = raw.go_genes(term)
            chrom = rng.choice(sorted({raw.span[s][0] for s in members if s in raw.span}))
            gold = sorted(s for s in members if s in raw.span and raw.span[s][0] == chrom)
            add("set_composition", template.format(term=raw.go_names[term][0], c=chrom), {"type": "set", "values": gold})
    for template in family.get("disease_and_go", []):
        found = 0
        for g in rng.sample([s for s in coding if raw.conditions[s] and raw.go[s]], 300):
            condition = rng.choice(sorted(raw.conditions[g]))
            members = {s for s in coding if condition in raw.conditions[s]}
            terms = sorted(t for t in raw.go[g] if raw.go_names.get(t, ("", ""))[1] == "BP")
            if len(members) < 2 or not terms:
                continue
            term = rng.choice(terms)
            gold = sorted(s for s in members if term in raw.go_all[s])
            add("set_composition", template.format(disease=condition, term=raw.go_names[term][0]),
                {"type": "set", "values": gold})
            found += 1
            if found >= n("disease_and_go"):
                break
    groups = sorted({grp for r in raw.hgnc.values() for grp in _split(r["gene_group"])})
    # pseudoautosomal genes lie on X and Y both: 'not on chromosome Y' has no one answer for them
    groups = [grp for grp in groups if 15 <= len(raw.group_members(grp)) <= 400 and "seudoautosomal" not in grp]
    for template in family.get("group_and_chromosome", []):
        for grp in rng.sample(groups, n("group_and_chromosome")):
            members = raw.group_members(grp)
            chroms = sorted({raw.hgnc[s]["location"].split("p")[0].split("q")[0] for s in members})
            chrom = rng.choice([c for c in chroms if c and c[0].isalnum() and c in {str(i) for i in range(1, 23)} | {"X", "Y"}] or ["1"])
            gold = sorted(s for s in members if raw.chromosome(s) == chrom)
            if template.startswith(("How many", "Count")):
                add("set_composition", template.format(group=grp, c=chrom), {"type": "number", "value": len(gold)})
            else:
                add("set_composition", template.format(group=grp, c=chrom), {"type": "set", "values": gold})
    for template in family.get("group_not_chromosome", []):
        for grp in rng.sample(groups, n("group_not_chromosome")):
            members = raw.group_members(grp)
            chrom = rng.choice(sorted({raw.span[s][0] for s in members if s in raw.span}))
            gold = sorted(s for s in members if raw.chromosome(s) and raw.chromosome(s) != chrom)
            add("set_composition", template.format(group=grp, c=chrom), {"type": "set", "values": gold})
    tf = [e for e in raw.experiments.values() if e["assay"] == "TF ChIP-seq"]
    samples = sorted({e["biosample"] for e in tf})
    targets_in = {s: {e["target"] for e in tf if e["biosample"] == s} for s in samples}
    big = [s for s in samples if len(targets_in[s]) >= 20]
    for template in family.get("both_biosamples", []):
        for _ in range(n("both_biosamples")):
            s1, s2 = rng.sample(big, 2)
            add("set_composition", template.format(s1=s1, s2=s2),
                {"type": "set", "values": sorted(targets_in[s1] & targets_in[s2])})
    for template in family.get("but_not_biosample", []):
        for _ in range(n("but_not_biosample")):
            s1, s2 = rng.sample(big, 2)
            gold = sorted(targets_in[s1] - targets_in[s2])
            add("set_composition", template.format(s1=s1, s2=s2),
                {"type": "number", "value": len(gold)} if template.startswith("How many") else
                {"type": "set", "values": gold})
    for template in family.get("count_experiments", []):
        for s in rng.sample(big, n("count_experiments")):
            add("aggregation", template.format(s=s), {"type": "number", "value": sum(e["biosample"] == s for e in tf)})
    for template in family.get("count_targets", []):
        for s in rng.sample(big, n("count_targets")):
            add("aggregation", template.format(s=s), {"type": "number", "value": len(targets_in[s])})
    per_chromosome: dict[str, int] = defaultdict(int)
    for s in coding:
        per_chromosome[raw.span[s][0]] += 1
    for template in family.get("top_chromosome", []):
        top = max(per_chromosome, key=per_chromosome.get)
        add("aggregation", template, {"type": "name", "value": f"chr{top}"})
    target_counts: dict[str, int] = defaultdict(int)
    for e in tf:
        target_counts[e["target"]] += 1
    for template in family.get("top_targets", []):
        for top in rng.sample([3, 5, 10], 2):
            ranked = sorted(target_counts, key=lambda t: (-target_counts[t], t))
            cutoff = target_counts[ranked[top - 1]]
            add("aggregation", template.format(n=top), {"type": "set", "values": [t for t in ranked
                                                                                 if target_counts[t] >= cutoff]})
    for template in family.get("longest_on_chromosome", []):
        for chrom in rng.sample(sorted(per_chromosome), n("longest_on_chromosome")):
            longest = max((s for s in coding if raw.span[s][0] == chrom),
                          key=lambda s: raw.span[s][2] - raw.span[s][1])
            add("aggregation", template.format(c=chrom), {"type": "name", "value": longest})
    for template in family.get("not_coding_count", []):
        for band in rng.sample([b for b in bands if len(raw.band_genes(b)) >= 5], n("not_coding_count")):
            members = raw.band_genes(band)
            add("aggregation", template.format(band=band),
                {"type": "number", "value": sum(raw.hgnc[s]["locus_group"] != "protein-coding gene" for s in members)})
    for template in family.get("tracks_count", []):
        code = "CAGE" if "CAGE" in template else "DNASE"
        add("aggregation", template, {"type": "number", "value": sum(t.startswith(code + ":") for t in raw.tracks)})

    typed = [r for r in raw.markers if r["tissue"] not in ("", "NA")]
    for template in family.get("markers_of", []):
        for r in rng.sample(typed, n("markers_of")):
            same = [x for x in typed if x["manual_annotation"] == r["manual_annotation"] and x["tissue"] == r["tissue"]]
            markers = sorted({m.strip() for x in same for m in x["marker"].split(",") if m.strip()})
            add("markers", template.format(cell=r["manual_annotation"], tissue=r["tissue"]),
                {"type": "values", "values": markers})
    named = [r for r in typed if r["manual_CLname"] not in ("", "NA")]
    for template in family.get("is_marker", []):
        for i, r in enumerate(rng.sample(typed, n("is_marker"))):
            cell = r["manual_annotation"]
            markers = {m.strip() for x in typed if x["manual_annotation"].lower() == cell.lower()
                       for m in x["marker"].split(",")}
            gene = rng.choice(sorted(markers)) if i % 2 == 0 else rng.choice([s for s in coding if s not in markers])
            add("markers", template.format(g=gene, cell=cell), {"type": "yesno", "value": gene in markers})
    for template in family.get("celltype_of_genes", []):
        for r in rng.sample(named, n("celltype_of_genes")):
            genes = [m.strip() for m in r["marker"].split(",")][:3]
            owners = sorted({x["manual_annotation"] for x in named
                             if set(genes) <= {m.strip() for m in x["marker"].split(",")}})
            add("markers", template.format(genes=", ".join(genes[:-1]) + " and " + genes[-1]),
                {"type": "values_any", "values": owners})
    for template in family.get("marker_tissues", []):
        for r in rng.sample(typed, n("marker_tissues")):
            gene = r["marker"].split(",")[0].strip()
            tissues = sorted({x["tissue"] for x in typed if gene in {m.strip() for m in x["marker"].split(",")}})
            add("markers", template.format(g=gene), {"type": "values", "values": tissues})
    for template in family.get("decline", []):
        for g in rng.sample(coding, n("decline")):
            add("decline", template.format(g=g, rs=rng.randrange(1_000, 99_999_999)), {"type": "decline"})
    return items


COUNTS_A = {"aliases": 3, "previous_symbols": 2, "name": 2, "strand": 3, "length": 3, "coordinates": 3,
            "gene_group": 3, "same_chromosome": 4, "longer": 4, "shared_go": 3, "shared_conditions": 3, "within": 4,
            "count_within": 3, "at_position": 4, "nearest": 5, "band": 4, "go_and_chromosome": 4,
            "disease_and_go": 6, "group_and_chromosome": 4, "group_not_chromosome": 4, "both_biosamples": 4,
            "but_not_biosample": 4, "count_experiments": 3, "count_targets": 4, "longest_on_chromosome": 4,
            "not_coding_count": 4, "markers_of": 4, "is_marker": 5, "celltype_of_genes": 5, "marker_tissues": 5,
            "decline": 3}
# --- family b: written after the plan was built, never tuned on ------------------------------------------

B = {
    "aliases": ["Does {g} have other symbols? List them.", "I'm looking for all the alias names of {g}",
                "known aliases for gene {g}"],
    "previous_symbols": ["Which earlier HGNC symbols did {g} have?", "{g} was previously known under which symbols?"],
    "name": ["Give me the approved full gene name for {g}.", "full gene name of {g}, please"],
    "strand": ["On which DNA strand is {g} encoded?", "{g}: forward or reverse strand?"],
    "length": ["How many base pairs does the {g} locus span?", "Tell me the size of the {g} gene."],
    "coordinates": ["Where exactly is {g} in GRCh38 (coordinates)?", "genomic position of {g}"],
    "gene_group": ["To which HGNC gene groups is {g} assigned?", "{g} belongs to what gene family?"],
    "refseq": ["RefSeq accession(s) for {g}?"],
    "mane": ["Which transcript is the MANE Select for {g}?"],
    "ensembl": ["Give me the ENSG identifier of {g}."],
    "entrez": ["What's the NCBI Gene ID for {g}?"],
    "uniprot": ["UniProt accession of the {g} protein?"],
    "omim": ["Which OMIM entry corresponds to {g}?"],
    "same_chromosome": ["Do {a} and {b} reside on the same chromosome?", "{a} and {b}: same chromosome or not?"],
    "longer": ["Between {a} and {b}, which gene is bigger?", "Is the {a} gene larger than {b}?"],
    "shared_go": ["What biological processes are annotated to both {a} and {b}?"],
    "shared_conditions": ["List the diseases linked to both {a} and {b}.",
                          "Are there conditions that {a} and {b} have in common?"],
    "within": ["Find all genes in a {d} window around {g}.", "what genes are within {d} of the {g} locus?"],
    "count_within": ["Count the genes lying within {d} of {g}."],
    "at_position": ["Which gene sits at position {p} on chromosome {c}?"],
    "nearest": ["Closest gene to chromosome {c} position {p}?", "Name the gene nearest to chr{c}:{p}."],
    "band": ["What genes map to cytoband {band}?", "Show all genes located in the {band} band."],
    "go_and_chromosome": ["Show genes with the GO annotation '{term}' located on chromosome {c}."],
    "disease_and_go": ["Among genes linked to {disease}, which are annotated with {term}?"],
    "group_and_chromosome": ["Which members of the {group} gene group are on chr{c}?",
                             "Count the {group} genes on chromosome {c}."],
    "group_not_chromosome": ["List genes from gene group '{group}' that are located outside chromosome {c}."],
    "both_biosamples": ["Which factors have TF ChIP-seq data in both {s1} and {s2}?"],
    "but_not_biosample": ["Find TF ChIP-seq targets assayed in {s1} and not in {s2}."],
    "count_experiments": ["Total number of TF ChIP-seq experiments performed on {s}?"],
    "count_targets": ["How many different TF ChIP-seq targets exist for {s}?"],
    "top_chromosome": ["Which chromosome contains the highest number of protein-coding genes?"],
    "top_targets": ["Top {n} targets ranked by number of TF ChIP-seq experiments?"],
    "longest_on_chromosome": ["Which protein-coding gene on chromosome {c} spans the most bases?"],
    "not_coding_count": ["Count the non-protein-coding genes in cytoband {band}."],
    "tracks_count": ["How many CAGE tracks does Enformer have?"],
    "markers_of": ["Which genes mark {cell} cells in the {tissue}?", "{tissue} {cell} marker gene list"],
    "is_marker": ["Is {g} among the marker genes of {cell}?", "Does {g} mark {cell} cells?"],
    "celltype_of_genes": ["{genes}: which cell type has these as markers?"],
    "marker_tissues": ["List the tissues where {g} marks a cell type."],
    "decline": [
        "Give me the zebrafish ortholog of {g}.", "What is the chicken version of {g}?",
        "What are the TPM values for {g} across tissues?", "How strongly is {g} expressed in the heart?",
        "How many exons are in the canonical {g} transcript?", "List the introns of {g}.",
        "Show me the crystal structure of {g}.", "Is there a PDB entry for {g}?",
        "What is the clinical significance of rs{rs}?", "Which gene does the SNP rs{rs} fall in?",
        "Please remove {g} from the database.", "Add a new alias FOO2 for {g}.",
    ],
}
COUNTS_B = {"aliases": 2, "previous_symbols": 2, "name": 2, "strand": 2, "length": 2, "coordinates": 2,
            "gene_group": 2, "refseq": 2, "mane": 2, "ensembl": 1, "entrez": 1, "uniprot": 1, "omim": 1,
            "same_chromosome": 3, "longer": 3, "shared_go": 3, "shared_conditions": 2, "within": 3,
            "count_within": 2, "at_position": 3, "nearest": 3, "band": 3, "go_and_chromosome": 4,
            "disease_and_go": 4, "group_and_chromosome": 3, "group_not_chromosome": 3, "both_biosamples": 3,
            "but_not_biosample": 3, "count_experiments": 3, "count_targets": 3, "longest_on_chromosome": 3,
            "not_coding_count": 3, "markers_of": 3, "is_marker": 3, "celltype_of_genes": 4, "marker_tissues": 3,
            "decline": 1}
# --- family c: written after the semantic parser was trained, run once for the final report --------------

C = {
    "aliases": ["Alternative gene symbols used for {g}?", "what else is {g} called"],
    "previous_symbols": ["List any withdrawn or former symbols of {g}."],
    "name": ["Expand the abbreviation {g}.", "{g} stands for what?"],
    "strand": ["Which genomic strand carries {g}?"],
    "length": ["What's the genomic length of {g}?", "size of the {g} locus in bp"],
    "coordinates": ["Chromosomal coordinates for {g} please"],
    "gene_group": ["HGNC family of {g}?"],
    "refseq": ["Which RefSeq accession is linked to {g}?"],
    "mane": ["{g} MANE transcript"],
    "ensembl": ["Ensembl ID for {g}?"],
    "uniprot": ["Protein accession (UniProt) of {g}"],
    "same_chromosome": ["Are {a} and {b} located on one and the same chromosome?",
                        "Check if {a} and {b} share a chromosome."],
    "longer": ["Of {a} and {b}, which has the longer gene span?", "Is {a} bigger than {b} in base pairs?"],
    "shared_go": ["Biological processes common to {a} and {b}?"],
    "shared_conditions": ["Which disorders are associated with {a} as well as {b}?"],
    "within": ["Neighbouring genes of {g} within {d}?", "Give me all loci less than {d} away from {g}."],
    "count_within": ["Number of genes within {d} of {g}?"],
    "at_position": ["What gene is located at chr{c}:{p}?"],
    "nearest": ["Find the gene closest to chr{c}:{p}.", "nearest gene chr{c} {p}"],
    "band": ["Genes residing in band {band}?", "What's in cytoband {band}?"],
    "go_and_chromosome": ["Chromosome {c} genes involved in {term}?"],
    "disease_and_go": ["Of the genes tied to {disease}, which take part in {term}?"],
    "group_and_chromosome": ["Members of gene group '{group}' on chromosome {c}?",
                             "How many '{group}' genes sit on chromosome {c}?"],
    "group_not_chromosome": ["Which '{group}' genes are located off chromosome {c}?"],
    "both_biosamples": ["TF ChIP-seq targets shared between {s1} and {s2}?"],
    "but_not_biosample": ["Which TF ChIP-seq targets appear in {s1} yet not in {s2}?"],
    "count_experiments": ["How many TF ChIP-seq datasets does ENCODE have for {s}?"],
    "count_targets": ["Number of distinct TF ChIP-seq targets profiled in {s}?"],
    "top_chromosome": ["Which chromosome harbours the most protein-coding genes?"],
    "top_targets": ["Give the {n} most frequently assayed TF ChIP-seq targets."],
    "longest_on_chromosome": ["Longest protein-coding gene located on chromosome {c}?"],
    "not_coding_count": ["How many genes in {band} are not protein coding?"],
    "tracks_count": ["Number of Enformer CAGE tracks?"],
    "markers_of": ["Marker genes that define {cell} in {tissue}?"],
    "is_marker": ["Would {g} count as a marker for {cell}?", "{g}: a {cell} marker?"],
    "celltype_of_genes": ["Which cell type is characterised by the markers {genes}?"],
    "marker_tissues": ["Tissues in which {g} serves as a cell-type marker?"],
    "decline": [
        "What is the fruit fly ortholog of {g}?", "Which rat chromosome carries {g}?",
        "Average expression of {g} in the brain?", "Exon count of {g}?",
        "Fetch the PDB structure for {g}.", "Pathogenicity of variant rs{rs}?",
        "Please delete the {g} record.", "Update the cytoband of {g} to 1p36.",
    ],
}
COUNTS_C = {kind: 3 for kind in C} | {"decline": 1, "top_chromosome": 1, "tracks_count": 1, "ensembl": 2,
                                     "uniprot": 2, "refseq": 2, "mane": 2}
FAMILIES = {"a": (A, 11, COUNTS_A), "b": (B, 73, COUNTS_B), "c": (C, 131, COUNTS_C)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=sorted(FAMILIES), default="a")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    templates, seed, counts = FAMILIES[args.family]
    items = generate(Raw(), templates, seed, counts, args.family)
    args.out.write_text("".join(json.dumps(item) + "\n" for item in items))
    kinds: dict[str, int] = defaultdict(int)
    for item in items:
        kinds[item["kind"]] += 1
    print(f"{len(items)} questions -> {args.out}: {dict(kinds)}")


if __name__ == "__main__":
    main()
