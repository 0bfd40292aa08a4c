"""Assemble the gene graph from the vendored releases and hand it to a backend.

`assemble()` joins the sources into node and edge tables (plain Python rows, the same for every
backend); `build_graph()` loads them into Ladybug (bulk COPY) or Neo4j (batched UNWIND) and swaps
the new graph in only when it is complete.
"""

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import GeneverseError, ParseError
from kg.identifiers import TAGGED_TARGET, target_class
from kg.models import NAME_KIND_RANK
from kg.paths import data_dir, graph_dir
from kg.schema import empty_row, load_rows, schema
from kg.sources.cell_markers import parse_cell_markers
from kg.sources.clinvar import parse_clinvar_conditions
from kg.sources.encode_metadata import parse_encode_metadata
from kg.sources.encode_tracks import parse_track_experiments
from kg.sources.enformer_targets import parse_enformer_targets
from kg.sources.gencode_coordinates import parse_gencode_coordinates
from kg.sources.gencode_genpos import parse_gencode_genpos
from kg.sources.gencode_gtf import parse_gencode_gtf
from kg.sources.gencode_probemap import parse_gencode_probemap
from kg.sources.gene2go import parse_gene2go
from kg.sources.gene_ontology import ASPECT_FILES, parse_go_annotations, parse_go_terms
from kg.sources.go_obo import ancestors, parse_obo_terms
from kg.sources.hgnc import parse_hgnc
from kg.sources.hpo import parse_hpo_disease_names, parse_hpo_genes_to_disease, parse_hpo_terms
from kg.sources.medgen import parse_medgen_names
from kg.sources.ncbi_gene_info import LOCUS_GROUPS, PRIMARY_CHROMOSOMES, parse_gene_info
from kg.sources.refseq_summary import parse_refseq_summaries
from kg.sources.table import not_utf8

# Release files, relative to the data folder. One entry per parser.
SOURCE_FILES = {
    "hgnc": "hgnc/hgnc_complete_set_2024-10-18.txt.gz",
    "ncbi_gene_info": "ncbi/Homo_sapiens.gene_info.gz",
    "refseq_summary": "refseq_summary/refseq_gene_summary_human_per_gene.tsv.gz",
    "gencode_v29": "gencode/gencode_v29_genes_GRCh38_with_hgnc.tsv.gz",
    "gencode_v23": "gencode/gencode.v23.annotation.gene.probemap.txt.gz",
    "gencode_v19": "gencode/gencode_v19_gen_pos.complete.txt.gz",
    "clinvar": "clinvar/gene_condition_source_id.txt",
    "hpo": "hpo/genes_to_disease.txt",
    "hpo_disease_names": "hpo/phenotype_hpoa_disease_names.tsv.gz",
    "hpo_terms": "hpo/hp_term_names.tsv.gz",
    "encode_metadata": "encode/ENCODE_metadata_promoter_models.tsv.gz",
    "encode_track_experiments": "encode/encode_experiments_from_enformer_borzoi_targets.tsv",
    "enformer_targets": "enformer/targets_human.txt",
    "cell_markers": "markers/gptcelltype_all_marker_annotations.csv",
}

# Fresh releases from `geneverse kg download` that replace a vendored file, by build source name.
# Summaries, old GENCODE tables and the Enformer track lists always come from the vendored data.
# MedGen's names have no vendored copy: a build uses them when they were downloaded.
FRESH_SOURCES = {"hgnc": "hgnc", "ncbi_gene_info": "gene_info", "clinvar": "clinvar", "hpo": "hpo",
                 "hpo_disease_names": "hpo_annotations", "hpo_terms": "hp_obo", "medgen_names": "medgen",
                 "encode_metadata": "encode", "gencode_gtf": "gencode", "gene2go": "gene2go", "go_obo": "go"}


@dataclass
class GraphContent:
    """Node and edge rows of the whole graph, keyed the way both backends load them."""

    genes: dict[str, dict] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # key (uppercased) -> first spelling seen
    name_links: dict[tuple[str, str], str] = field(default_factory=dict)  # (key, gene_id) -> kind
    go_terms: list[dict] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)
    diseases: dict[str, dict] = field(default_factory=dict)
    disease_links: list[dict] = field(default_factory=list)
    biosamples: dict[str, dict] = field(default_factory=dict)
    experiments: dict[str, dict] = field(default_factory=dict)
    experiment_targets: list[dict] = field(default_factory=list)
    experiment_biosamples: list[dict] = field(default_factory=list)
    tracks: list[dict] = field(default_factory=list)
    track_experiments: list[dict] = field(default_factory=list)
    gene_groups: dict[str, dict] = field(default_factory=dict)
    group_members: list[dict] = field(default_factory=list)
    cell_types: dict[str, dict] = field(default_factory=dict)
    markers: list[dict] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "Gene": len(self.genes),
            "Name": len(self.names),
            "NAMES": len(self.name_links),
            "GoTerm": len(self.go_terms),
            "ANNOTATED_WITH": len(self.annotations),
            "Disease": len(self.diseases),
            "ASSOCIATED_WITH": len(self.disease_links),
            "Biosample": len(self.biosamples),
            "Experiment": len(self.experiments),
            "TARGETS": len(self.experiment_targets),
            "IN_BIOSAMPLE": len(self.experiment_biosamples),
            "Track": len(self.tracks),
            "FROM_EXPERIMENT": len(self.track_experiments),
            "GeneGroup": len(self.gene_groups),
            "IN_GROUP": len(self.group_members),
            "CellType": len(self.cell_types),
            "MARKER_OF": len(self.markers),
        }

    def link_name(self, name: str, gene_id: str, kind: str) -> None:
        key = name.upper()
        self.names.setdefault(key, name)
        previous = self.name_links.get((key, gene_id))
        if previous is None or NAME_KIND_RANK[kind] < NAME_KIND_RANK[previous]:
            self.name_links[(key, gene_id)] = kind


Step = Callable[[str], None]


def source_files(root: Path | None = None, releases: Path | None = None) -> dict[str, Path]:
    """Release file per source: a fresh download in `releases` where there is one, else `root`'s."""
    root = root or data_dir()
    files = {name: root / rel for name, rel in SOURCE_FILES.items()}
    if releases is not None:
        from kg.download import SOURCES

        for name, download in FRESH_SOURCES.items():
            fresh = releases / SOURCES[download].target
            if fresh.exists():
                files[name] = fresh
    return files


def assemble(
    root: Path | None = None,
    withhold_summaries: frozenset[str] | set[str] = frozenset(),
    step: Step = lambda _: None,
    releases: Path | None = None,
) -> GraphContent:
    """Join every release into graph rows. `withhold_summaries` (official symbols) get no RefSeq
    summary, for evaluations in which systems must not copy the reference text. `releases` is a
    folder of `geneverse kg download` files that take the place of their vendored versions."""
    root = root or data_dir()
    files = source_files(root, releases)
    content = GraphContent()
    withheld = {s.upper() for s in withhold_summaries}

    step("HGNC genes")
    by_entrez: dict[str, str] = {}
    by_ensembl: dict[str, str] = {}
    for record in parse_hgnc(files["hgnc"]):
        record.pop("status")
        _add_gene_groups(content, record["gene_id"], record["gene_groups"], record.pop("gene_group_ids"))
        gene = content.genes[record["gene_id"]] = empty_row("Gene") | record
        gene.update(source="HGNC", assembly="GRCh38")
        if gene["entrez_id"]:
            by_entrez[gene["entrez_id"]] = gene["gene_id"]
        if gene["ensembl_id"]:
            by_ensembl[gene["ensembl_id"]] = gene["gene_id"]

    step("GENCODE coordinates")
    coordinates = (parse_gencode_gtf(files["gencode_gtf"]) if "gencode_gtf" in files
                   else parse_gencode_coordinates(files["gencode_v29"]))
    for coords in coordinates:
        gene_id = by_ensembl.get(coords["ensembl_id"])
        if gene_id:
            gene = content.genes[gene_id]
            gene.update({k: coords[k] for k in ("start", "end", "strand", "tss")})
            gene["chromosome"] = gene["chromosome"] or coords["chromosome"]

    step("NCBI gene_info synonyms")
    ncbi_only = []
    for record in parse_gene_info(files["ncbi_gene_info"]):
        gene_id = by_entrez.get(record["entrez_id"]) or (record["hgnc_id"] if record["hgnc_id"] in content.genes else None)
        if gene_id:
            gene = content.genes[gene_id]
            gene["synonyms"] = record["synonyms"]
            if gene["entrez_id"] != record["entrez_id"]:
                # HGNC and NCBI may give one gene different Entrez ids (one replaced the other): both find it
                gene["entrez_id"] = gene["entrez_id"] or record["entrez_id"]
                by_entrez.setdefault(record["entrez_id"], gene_id)
                content.link_name(record["entrez_id"], gene_id, "identifier")
        else:
            ncbi_only.append(record)

    step("RefSeq summaries")
    for record in parse_refseq_summaries(files["refseq_summary"]):
        gene_id = by_entrez.get(record["entrez_id"])
        if gene_id and content.genes[gene_id]["symbol"].upper() not in withheld:
            content.genes[gene_id]["summary"] = record["summary"]

    step("older GENCODE gene names")
    for release, parser in (("v23", parse_gencode_probemap), ("v19", parse_gencode_genpos)):
        for record in parser(files[f"gencode_{release}"]):
            gene_id = by_ensembl.get(record["ensembl_id"])
            if gene_id is None:
                # Not in HGNC: the gene keeps its own name, chromosome and coordinates.
                gene_id = record["ensembl_id"]
                if gene_id not in content.genes:
                    content.genes[gene_id] = _gencode_only_gene(record, release)
            gene = content.genes[gene_id]
            if record["name"] != gene["symbol"] and record["name"] not in gene["gencode_names"]:
                gene["gencode_names"].append(record["name"])
            content.link_name(record["name"], gene_id, f"gencode_{release}")

    step("NCBI-only genes")
    gencode_names = Counter(g["symbol"].upper() for g in content.genes.values() if g["source"].startswith("GENCODE"))
    gencode_by_name = {g["symbol"].upper(): g for g in content.genes.values()
                       if g["source"].startswith("GENCODE") and gencode_names[g["symbol"].upper()] == 1}
    for record in ncbi_only:
        by_entrez[record["entrez_id"]] = _add_ncbi_gene(content, record, gencode_by_name)

    step("gene names")
    for gene_id, gene in content.genes.items():
        if not gene["hgnc_id"]:
            continue
        content.link_name(gene["symbol"], gene_id, "official")
        for kind, names in (("previous", gene["previous_symbols"]), ("alias", gene["aliases"]),
                            ("synonym", gene["synonyms"])):
            for name in names:
                content.link_name(name, gene_id, kind)

    step("Gene Ontology")
    if "gene2go" in files and "go_obo" in files:
        _add_gene2go(content, files["gene2go"], files["go_obo"], by_entrez)
    else:
        _add_gene_ontology(content, root / "go", by_entrez)

    step("ClinVar and HPO diseases")
    _add_diseases(content, files, by_entrez)

    step("ENCODE experiments and Enformer tracks")
    _add_experiments_and_tracks(content, files)

    step("cell-type markers")
    _add_cell_markers(content, files["cell_markers"])
    _count_evidence(content)
    for gene in content.genes.values():
        if gene["start"] and gene["end"]:
            gene["length"] = gene["end"] - gene["start"] + 1
    return content


def _add_gene_groups(content: GraphContent, gene_id: str, names: list[str], ids: list[str]) -> None:
    """HGNC gene groups as nodes the gene belongs to; the ids line up with the names when both are given."""
    ids = ids if len(ids) == len(names) else [None] * len(names)
    for name, group_id in zip(names, ids):
        content.gene_groups.setdefault(name, {"name": name, "group_id": group_id})
        content.group_members.append({"gene_id": gene_id, "gene_group": name})


def _add_cell_markers(content: GraphContent, path: Path) -> None:
    """Cell types with their marker genes in rank order; a marker is found by its official symbol, else by
    a previous symbol or alias that names one gene (studies use the symbols of their day)."""
    by_kind: dict[str, dict[str, set[str]]] = {}
    for (key, gene_id), kind in content.name_links.items():
        by_kind.setdefault(kind, {}).setdefault(key, set()).add(gene_id)

    def gene_of(symbol: str) -> str | None:
        for kind in ("official", "previous", "alias", "ncbi_symbol", "synonym", "gencode_v23", "gencode_v19"):
            found = by_kind.get(kind, {}).get(symbol.upper(), set())
            if len(found) == 1:
                return next(iter(found))
        return None

    for record in parse_cell_markers(path):
        markers = record.pop("markers")
        content.cell_types[record["cell_type_id"]] = record
        linked: set[str] = set()
        for rank, symbol in enumerate(markers, start=1):
            gene_id = gene_of(symbol)
            if gene_id and gene_id not in linked:
                linked.add(gene_id)
                content.markers.append({"gene_id": gene_id, "cell_type_id": record["cell_type_id"], "rank": rank})


def _gencode_only_gene(record: dict, release: str) -> dict:
    gene = empty_row("Gene")
    gene.update(
        gene_id=record["ensembl_id"], symbol=record["name"], ensembl_id=record["ensembl_id"],
        chromosome=record["chromosome"], start=record["start"], end=record["end"],
        strand=record["strand"], tss=record["tss"], source=f"GENCODE {release}", assembly=record["assembly"],
    )
    return gene


def _add_ncbi_gene(content: GraphContent, record: dict, gencode_by_name: dict[str, dict]) -> str:
    """An NCBI Gene record HGNC does not name: it fills the GENCODE gene of the same Ensembl id (or, without
    one, the one GENCODE gene of the same name on the same chromosome), or becomes a gene of its own keyed
    NCBIGene:<Entrez id>. Returns the gene's key."""
    known = content.genes.get(record["ensembl_id"] or "")
    if known is None and (same_name := gencode_by_name.get(record["symbol"].upper())):
        known = same_name if same_name["chromosome"] == record["chromosome"] else None
    if known is not None and known["entrez_id"] not in (None, record["entrez_id"]):
        known = None  # that GENCODE gene is already another NCBI record's
    gene = known or content.genes.setdefault(f"NCBIGene:{record['entrez_id']}", empty_row("Gene") | {
        "gene_id": f"NCBIGene:{record['entrez_id']}", "symbol": record["symbol"], "source": "NCBI Gene",
        "ensembl_id": record["ensembl_id"]})
    chromosome = record["chromosome"] if record["chromosome"] in PRIMARY_CHROMOSOMES else None
    gene.update(
        entrez_id=record["entrez_id"], name=gene["name"] or record["description"],
        locus_group=gene["locus_group"] or LOCUS_GROUPS.get(record["type_of_gene"] or ""),
        locus_type=gene["locus_type"] or record["type_of_gene"], omim_id=gene["omim_id"] or record["omim_id"],
        chromosome=gene["chromosome"] or chromosome, synonyms=record["synonyms"],
        cytoband=gene["cytoband"] or (record["map_location"] if chromosome and record["map_location"] != chromosome
                                      else None),
    )
    if known:  # NCBI's current symbol names the gene; GENCODE's clone name stays one of its names
        gene["source"] += "; NCBI Gene"
        if gene["symbol"] != record["symbol"]:
            gene["gencode_names"] = [gene["symbol"], *(n for n in gene["gencode_names"] if n != gene["symbol"])]
            gene["symbol"] = record["symbol"]
    content.link_name(record["symbol"], gene["gene_id"], "ncbi_symbol")
    for name in record["synonyms"]:
        content.link_name(name, gene["gene_id"], "synonym")
    return gene["gene_id"]


def _add_gene_ontology(content: GraphContent, go_dir: Path, by_entrez: dict[str, str]) -> None:
    for aspect, (node_file, edge_file) in ASPECT_FILES.items():
        terms = {t["go_id"]: t for t in parse_go_terms(go_dir / node_file, aspect)}
        content.go_terms.extend(terms.values())
        for edge in parse_go_annotations(go_dir / edge_file):
            gene_id = by_entrez.get(edge["entrez_id"])
            if gene_id and edge["go_id"] in terms:
                content.annotations.append(
                    {"gene_id": gene_id, "go_id": edge["go_id"], "direct": edge["direct"], "experimental": edge["experimental"]}
                )


def _add_gene2go(content: GraphContent, gene2go: Path, obo: Path, by_entrez: dict[str, str]) -> None:
    """Direct annotations from gene2go plus the is_a ancestors they imply, as the vendored GO tables."""
    terms = {t["go_id"]: t for t in parse_obo_terms(obo)}
    canonical = {alt: go_id for go_id, t in terms.items() for alt in t["alt_ids"]}
    content.go_terms.extend({k: t[k] for k in ("go_id", "name", "aspect")} for t in terms.values())
    implied = ancestors({go_id: t["parents"] for go_id, t in terms.items()})
    direct: dict[tuple[str, str], bool] = {}
    for edge in parse_gene2go(gene2go):
        gene_id, go_id = by_entrez.get(edge["entrez_id"]), canonical.get(edge["go_id"], edge["go_id"])
        if gene_id and go_id in terms:
            direct[(gene_id, go_id)] = direct.get((gene_id, go_id), False) or edge["experimental"]
    inferred: dict[tuple[str, str], bool] = {}
    for (gene_id, go_id), experimental in direct.items():
        for ancestor in implied.get(go_id, ()):
            if (gene_id, ancestor) not in direct:
                inferred[(gene_id, ancestor)] = inferred.get((gene_id, ancestor), False) or experimental
    for flag, edges in ((True, direct), (False, inferred)):
        content.annotations.extend({"gene_id": g, "go_id": t, "direct": flag, "experimental": e}
                                   for (g, t), e in edges.items())


def _add_diseases(content: GraphContent, files: dict[str, Path], by_entrez: dict[str, str]) -> None:
    """ClinVar conditions (MedGen concepts) and HPO's diseases, merged through OMIM ids, with every name the
    sources give: ClinVar's, HPO's disease name, the HPO term's exact synonyms for phenotype concepts, and
    MedGen's names of each concept when MedGen's NAMES.RRF was downloaded."""
    hpo_terms = {t["hpo_id"]: t for t in parse_hpo_terms(files["hpo_terms"])}
    hpo_names = {d["disease_id"]: d["name"] for d in parse_hpo_disease_names(files["hpo_disease_names"])}
    by_omim: dict[str, str] = {}
    seen: set[tuple[str, str, str]] = set()
    for row in parse_clinvar_conditions(files["clinvar"]):
        disease = content.diseases.setdefault(row["medgen_id"], empty_row("Disease") | {
            "disease_id": row["medgen_id"], "name": row["name"], "medgen_id": row["medgen_id"],
            "omim_id": row["omim_id"], "mondo_id": row["mondo_id"], "sources": ["ClinVar"]})
        disease["mondo_id"] = disease["mondo_id"] or row["mondo_id"]
        term = hpo_terms.get(row["hpo_term"] or "")
        if term:
            _add_names(disease, [term["name"], *term["synonyms"]])
        if row["omim_id"]:
            by_omim.setdefault(row["omim_id"], row["medgen_id"])
        gene_id = by_entrez.get(row["entrez_id"])
        if gene_id and (gene_id, row["medgen_id"], "ClinVar") not in seen:
            seen.add((gene_id, row["medgen_id"], "ClinVar"))
            content.disease_links.append({"gene_id": gene_id, "disease_id": row["medgen_id"], "source": "ClinVar",
                                          "association_type": row["association_type"]})
    if "medgen_names" in files:
        for row in parse_medgen_names(files["medgen_names"]):
            if row["medgen_id"] in content.diseases:
                _add_names(content.diseases[row["medgen_id"]], [row["name"]])
    for row in parse_hpo_genes_to_disease(files["hpo"]):
        prefix, _, number = row["disease_id"].partition(":")
        disease_id = by_omim.get(number) if prefix == "OMIM" else None
        if disease_id is None:
            disease_id = row["disease_id"]
            content.diseases.setdefault(disease_id, empty_row("Disease") | {
                "disease_id": disease_id, "omim_id": number if prefix == "OMIM" else None})
        disease = content.diseases[disease_id]
        if row["disease_id"] not in disease["hpo_ids"]:
            disease["hpo_ids"].append(row["disease_id"])
            if row["disease_id"] in hpo_names:
                _add_names(disease, [hpo_names[row["disease_id"]]])
        if "HPO" not in disease["sources"]:
            disease["sources"].append("HPO")
        gene_id = by_entrez.get(row["entrez_id"])
        if gene_id and (gene_id, disease_id, "HPO") not in seen:
            seen.add((gene_id, disease_id, "HPO"))
            content.disease_links.append({"gene_id": gene_id, "disease_id": disease_id, "source": "HPO",
                                          "association_type": row["association_type"]})


def _add_names(disease: dict, names: list[str]) -> None:
    """The first name a disease gets is its name; later different names are its synonyms."""
    for name in names:
        if disease["name"] is None:
            disease["name"] = name
        elif name.lower() != disease["name"].lower() and name.lower() not in map(str.lower, disease["synonyms"]):
            disease["synonyms"].append(name)


# Experiment properties the two ENCODE lists may both give. Where they differ the more specific value wins
# ('TF ChIP-seq' over 'ChIP-seq'), except the biosample: ENCODE's term name ('HEK293') is the biosample, and
# the track list's free description ('HEK293 genetically modified ...') is kept beside it.
MERGED_EXPERIMENT_PROPERTIES = ("assay", "target", "biosample", "biosample_description", "biosample_type")


def more_specific(current: str | None, other: str | None) -> bool:
    """True when `other` says more than `current`: 'TF ChIP-seq' over 'ChIP-seq', any value over none. A
    tagged construct does not say more than its protein: 'RERE' stays, '3xFLAG-RERE' does not replace it."""
    if not other:
        return False
    if not current:
        return True
    if TAGGED_TARGET.match(other) and TAGGED_TARGET.sub("", other).lower() == current.lower():
        return False
    if TAGGED_TARGET.match(current) and TAGGED_TARGET.sub("", current).lower() == other.lower():
        return True
    return len(other) > len(current) and current.lower() in other.lower()


def _merge_experiment(experiment: dict, row: dict) -> None:
    if row["source"] not in experiment["source"].split("; "):
        experiment["source"] += f"; {row['source']}"
    for tagged in (experiment["target"], row["target"]):
        if tagged and TAGGED_TARGET.match(tagged):
            experiment["target_construct"] = tagged
    for prop in MERGED_EXPERIMENT_PROPERTIES:
        wins = (row["biosample_description"] is None and row[prop] is not None if prop == "biosample"
                else more_specific(experiment[prop], row[prop]))
        if wins and row[prop] != experiment[prop]:
            experiment[prop] = row[prop]
            experiment["property_sources"] = [p for p in experiment["property_sources"]
                                              if not p.startswith(f"{prop}=")] + [f"{prop}={row['source']}"]


def _add_experiments_and_tracks(content: GraphContent, files: dict[str, Path]) -> None:
    by_file: dict[str, str] = {}
    for parser, path in ((parse_track_experiments, files["encode_track_experiments"]),
                         (parse_encode_metadata, files["encode_metadata"])):
        for row in parser(path):
            experiment = content.experiments.get(row["accession"])
            if experiment is None:
                experiment = content.experiments[row["accession"]] = empty_row("Experiment") | {
                    "accession": row["accession"], "source": row["source"],
                    **{p: row[p] for p in MERGED_EXPERIMENT_PROPERTIES},
                    "property_sources": [f"{p}={row['source']}" for p in MERGED_EXPERIMENT_PROPERTIES if row[p]]}
            else:
                _merge_experiment(experiment, row)
            for accession in row["file_accessions"]:
                if accession not in experiment["file_accessions"]:
                    experiment["file_accessions"].append(accession)
                by_file[accession] = row["accession"]

    official = {key: gene_id for (key, gene_id), kind in content.name_links.items() if kind == "official"}
    for experiment in content.experiments.values():
        experiment["target_class"] = target_class(experiment["target"])
        content.biosamples.setdefault(experiment["biosample"], {"name": experiment["biosample"]})
        content.experiment_biosamples.append({"accession": experiment["accession"], "biosample": experiment["biosample"]})
        if experiment["target"] and TAGGED_TARGET.match(experiment["target"]):
            experiment["target_construct"] = experiment["target"]
        target = TAGGED_TARGET.sub("", experiment["target"]) if experiment["target"] else None
        gene_id = official.get(target.upper()) if target else None
        if gene_id:
            experiment["target_gene"] = content.genes[gene_id]["symbol"]
            content.experiment_targets.append({"accession": experiment["accession"], "gene_id": gene_id})

    for track in parse_enformer_targets(files["enformer_targets"]):
        track["target_class"] = target_class(track["target"])
        experiment = by_file.get(track["identifier"])
        track["experiment"] = experiment
        content.tracks.append(track)
        if experiment:
            content.track_experiments.append({"index": track["index"], "accession": experiment})


def _count_evidence(content: GraphContent) -> None:
    """How well-studied each gene is, for ranking the genes an ambiguous name may mean."""
    for gene in content.genes.values():
        gene["go_annotation_count"], gene["condition_count"] = 0, 0
    for edge in content.annotations:
        if edge["direct"]:
            content.genes[edge["gene_id"]]["go_annotation_count"] += 1
    for gene_id, _ in {(link["gene_id"], link["disease_id"]) for link in content.disease_links}:
        content.genes[gene_id]["condition_count"] += 1


def tables(content: GraphContent) -> dict[str, list[dict]]:
    """Rows per node and relationship table, as the schema declares them (kg/schema.toml)."""
    rows = {
        "Gene": content.genes.values(),
        "Name": [{"key": key, "name": name} for key, name in content.names.items()],
        "GoTerm": content.go_terms,
        "Disease": content.diseases.values(),
        "Biosample": content.biosamples.values(),
        "Experiment": content.experiments.values(),
        "Track": content.tracks,
        "NAMES": [{"key": key, "gene_id": gene_id, "kind": kind} for (key, gene_id), kind in content.name_links.items()],
        "ANNOTATED_WITH": content.annotations,
        "ASSOCIATED_WITH": content.disease_links,
        "TARGETS": content.experiment_targets,
        "IN_BIOSAMPLE": content.experiment_biosamples,
        "FROM_EXPERIMENT": content.track_experiments,
        "GeneGroup": content.gene_groups.values(),
        "IN_GROUP": content.group_members,
        "CellType": content.cell_types.values(),
        "MARKER_OF": content.markers,
    }
    return {label: load_rows(label, list(rows[label])) for label in schema()}


def build_graph(
    home: Path | None = None,
    backend: str = "ladybug",
    uri: str | None = None,
    withhold_summaries: frozenset[str] | set[str] = frozenset(),
    data: Path | None = None,
    step: Step = lambda _: None,
    releases: Path | None = None,
    force: bool = False,
) -> dict:
    """Build the whole graph and swap it in when complete. Returns the build manifest. Unless `force`,
    a graph with far fewer genes than the current one is refused (a truncated release)."""
    started = time.perf_counter()
    content = assemble(data, withhold_summaries, step, releases)
    genes = {"genes": len(content.genes), "hgnc_genes": sum(1 for g in content.genes.values() if g["hgnc_id"])}
    if backend == "ladybug" and not force:
        check_gene_count(genes, graph_dir(home))
    manifest = {
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "data": str(data or data_dir()),
        "sources": {name: str(path) for name, path in source_files(data, releases).items()},
        "withheld_summaries": sorted(withhold_summaries),
        "counts": content.counts(),
        "hgnc_genes": genes["hgnc_genes"],
    }
    rows = tables(content)
    if backend == "ladybug":
        from kg.backends import ladybug

        manifest["location"] = str(ladybug.build(rows, graph_dir(home), manifest, step))
    elif backend == "neo4j":
        from kg.backends import neo4j

        manifest["location"] = neo4j.build(rows, uri, manifest, step)
    else:
        raise GeneverseError(f"unknown backend {backend!r}: choose ladybug or neo4j")
    manifest["seconds"] = round(time.perf_counter() - started, 1)
    return manifest


# A new graph must keep at least this share of the current graph's genes, unless forced.
MIN_GENE_SHARE = 0.5


def check_gene_count(genes: dict[str, int], link: Path) -> None:
    """Refuse to replace the graph at `link` with one that has far fewer genes, or far fewer HGNC genes
    (a truncated HGNC release leaves GENCODE's genes, so the total alone can hide it)."""
    try:
        manifest = json.loads((link / "manifest.json").read_text())
        current = {"genes": manifest["counts"]["Gene"], "hgnc_genes": manifest.get("hgnc_genes")}
    except (OSError, ValueError, KeyError, TypeError):
        return  # no current graph, or one without counts: nothing to compare with
    for kind, label in (("genes", "genes"), ("hgnc_genes", "HGNC genes")):
        if current[kind] and genes[kind] < current[kind] * MIN_GENE_SHARE:
            raise GeneverseError(
                f"The new graph would hold {genes[kind]:,} {label}, far fewer than the {current[kind]:,} of the "
                f"current graph at {link.resolve()}; a release may be truncated. The current graph is kept; pass "
                "--force to replace it anyway.")


_SYMBOL_FILE_LINE = re.compile(r"^[A-Za-z0-9@._\-/]+$")


def read_symbol_file(path: Path) -> set[str]:
    """One gene symbol per line (blank lines and # comments ignored)."""
    if not Path(path).is_file():
        raise ParseError(str(path), 0, "file not found")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise not_utf8(Path(path), err) from None
    except OSError as err:
        raise ParseError(str(path), 0, f"unreadable: {err.strerror or err}") from None
    symbols = set()
    for line_no, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if not _SYMBOL_FILE_LINE.match(line):
            raise ParseError(str(path), line_no, f"not a gene symbol: {line[:100]!r}")
        symbols.add(line)
    return symbols
