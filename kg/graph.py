"""`GeneGraph`: the one API to the gene knowledge graph, the same on every backend."""

import functools
import math
import os
import re
from functools import cached_property
from pathlib import Path

from rapidfuzz import fuzz, process

from kg.cypher_files import named
from kg.disease_names import DiseaseNameIndex, name_words
from kg.errors import AmbiguousName, GeneNotFound, GeneverseError
from kg.identifiers import ENSEMBL_GENE, UNIPROT_ACCESSION
from kg.models import (
    NAME_KIND_RANK,
    NAME_KIND_WEIGHT,
    NAME_KIND_WORDS,
    Candidate,
    Disease,
    Experiment,
    Gene,
    GoTerm,
    Resolution,
    Track,
)
from kg.paths import graph_dir
from kg.readonly import check_read_only, undecoded
from kg.schema import node_labels, read_columns, relationship_types, schema_text
from kg.sources.table import chromosome_name

GENE_COLUMNS = read_columns("Gene", "g")
DISEASE_COLUMNS = read_columns("Disease", "d")
RECORD_COLUMNS = {"{gene_columns}": GENE_COLUMNS, "{disease_columns}": DISEASE_COLUMNS,
                  "{experiment_columns}": read_columns("Experiment", "e"), "{track_columns}": read_columns("Track", "t")}

_HGNC_ID = re.compile(r"^HGNC:\d+$", re.IGNORECASE)
_NCBI_GENE_ID = re.compile(r"^NCBIGene:(\d+)$", re.IGNORECASE)
_ENSEMBL_ID = re.compile(rf"^{ENSEMBL_GENE}(\.\d+)?$", re.IGNORECASE)
_ENTREZ_ID = re.compile(r"^\d+$")
_OMIM_ID = re.compile(r"^(?:OMIM|MIM):?\s*(\d{6})$", re.IGNORECASE)
_UNIPROT_ID = re.compile(rf"^(?:{UNIPROT_ACCESSION})$")

# Users name assays the ENCODE way ("ChIP-seq"); Enformer track descriptions use short codes.
TRACK_ASSAYS = {"dnase": "DNASE", "dnase-seq": "DNASE", "atac": "ATAC", "atac-seq": "ATAC",
                "chip": "CHIP", "chip-seq": "CHIP", "tf chip-seq": "CHIP", "histone chip-seq": "CHIP", "cage": "CAGE"}
EXPERIMENT_ASSAYS = {"chip": "chip-seq", "dnase": "dnase-seq", "rna": "rna-seq", "atac": "atac-seq"}


# Evidence that a name means a gene besides the kind of name (NAME_KIND_WEIGHT): between genes sharing a
# kind of name, protein-coding and well-studied genes are the likelier reading.
PROTEIN_CODING_WEIGHT = 0.75
GO_WEIGHT, GO_SATURATION = 1.0, 100  # direct GO annotations: full weight at 100
CONDITION_WEIGHT, CONDITION_SATURATION = 0.5, 20  # ClinVar / HPO conditions: full weight at 20
# Two readings closer than this are a guess between them.
GUESS_MARGIN = 0.5


def rank_candidates(query: str, candidates: list[Candidate]) -> Resolution:
    """Score each gene a name may stand for, likeliest first, and say why."""
    for c in candidates:
        go, conditions = c.go_annotation_count or 0, c.condition_count or 0
        c.score = round(
            NAME_KIND_WEIGHT[c.reason]
            + (PROTEIN_CODING_WEIGHT if c.locus_group == "protein-coding gene" else 0.0)
            + GO_WEIGHT * min(1.0, math.log1p(go) / math.log1p(GO_SATURATION))
            + CONDITION_WEIGHT * min(1.0, math.log1p(conditions) / math.log1p(CONDITION_SATURATION)), 3)
        c.why = [NAME_KIND_WORDS[c.reason]] + [
            text for text, present in ((c.locus_group or "", bool(c.locus_group)),
                                       (f"{go} direct GO annotations", go > 0),
                                       (f"{conditions} ClinVar/HPO conditions", conditions > 0)) if present]
    candidates.sort(key=lambda c: (-c.score, NAME_KIND_RANK[c.reason], c.symbol))
    guess = len(candidates) > 1 and candidates[0].score - candidates[1].score < GUESS_MARGIN
    return Resolution(query=query, candidates=candidates, ambiguous=len(candidates) > 1, guess=guess)


class GeneGraph:
    def __init__(self, store):
        self.store = store
        self._queries = {name: functools.reduce(lambda q, c: q.replace(*c), RECORD_COLUMNS.items(), text)
                         for name, text in named("queries.cypher").items()}

    @property
    def backend_name(self) -> str:
        return self.store.name

    @property
    def manifest(self) -> dict:
        return self.store.manifest

    def close(self) -> None:
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    def _run(self, query_name: str, /, **params) -> list[dict]:
        return self.store.run(self._queries[query_name], params)

    # ---- names and genes -------------------------------------------------------------------

    def resolve(self, name: str) -> Resolution:
        """Every gene a name or identifier may stand for, likeliest first, with the evidence for each."""
        query = (name or "").strip()
        if not query:
            raise GeneverseError("empty gene name")
        if undecoded(query):
            raise GeneverseError("The gene name is not UTF-8 text.")
        candidates = [Candidate(**row) for row in self._run("resolve", key=query.upper())]
        if not candidates:
            candidates = [Candidate(reason="identifier", **g.model_dump(include=set(Candidate.model_fields)))
                          for g in self._by_identifier(query)]
        return rank_candidates(query, candidates)

    def _by_identifier(self, query: str) -> list[Gene]:
        if _HGNC_ID.match(query):  # an HGNC gene's key is its HGNC id: the primary key answers first
            return self.genes([query.upper()]) or self._genes("gene_by_hgnc", value=query.upper())
        if match := _NCBI_GENE_ID.match(query):  # an NCBI-only gene's key, or any gene's Entrez id
            return self.genes([f"NCBIGene:{match.group(1)}"]) or self._genes("gene_by_entrez", value=match.group(1))
        if _ENSEMBL_ID.match(query):
            return self._genes("gene_by_ensembl", value=query.upper().split(".")[0]) or \
                self._genes("genes_by_id", ids=[query.upper().split(".")[0]])
        if _ENTREZ_ID.match(query):
            return self._genes("gene_by_entrez", value=query)
        if match := _OMIM_ID.match(query):
            return self._genes("gene_by_omim", value=match.group(1))
        if _UNIPROT_ID.match(query.upper()):
            return self._genes("gene_by_uniprot", value=query.upper())
        return []

    def gene(self, id_or_symbol: str) -> Gene:
        """The gene a name or identifier most likely stands for. Unknown names raise, and so do names whose
        two likeliest genes are too close to choose between."""
        resolution = self.resolve(id_or_symbol)
        if not resolution.candidates:
            raise GeneNotFound(id_or_symbol, self.closest_symbols(id_or_symbol))
        if resolution.guess:
            raise AmbiguousName(id_or_symbol, resolution.candidates)
        return self.genes([resolution.best.gene_id])[0]

    def genes(self, gene_ids: list[str]) -> list[Gene]:
        by_id = {g.gene_id: g for g in self._genes("genes_by_id", ids=list(gene_ids))}
        return [by_id[i] for i in gene_ids if i in by_id]

    def all_genes(self) -> list[Gene]:
        """Every gene of the graph in one query, by key."""
        return self._genes("all_genes")

    def genes_with_summary(self) -> list[Gene]:
        """Every gene that has a RefSeq summary, read in one query (per-id look-ups are slow for thousands)."""
        return self._genes("genes_with_summary")

    def _genes(self, query: str, **params) -> list[Gene]:
        return [_gene(row) for row in self._run(query, **params)]

    def by_entrez(self, entrez_id: str | int) -> Gene | None:
        return next(iter(self._genes("gene_by_entrez", value=str(entrez_id))), None)

    def by_ensembl(self, ensembl_id: str) -> Gene | None:
        return next(iter(self._by_identifier(ensembl_id) if _ENSEMBL_ID.match(ensembl_id) else []), None)

    def by_hgnc(self, hgnc_id: str) -> Gene | None:
        hgnc_id = hgnc_id if hgnc_id.upper().startswith("HGNC:") else f"HGNC:{hgnc_id}"
        return next(iter(self._genes("gene_by_hgnc", value=hgnc_id.upper())), None)

    def by_uniprot(self, accession: str) -> Gene | None:
        return next(iter(self._genes("gene_by_uniprot", value=accession.strip().upper())), None)

    def by_omim(self, omim_id: str | int) -> Gene | None:
        return next(iter(self._genes("gene_by_omim", value=str(omim_id).upper().removeprefix("OMIM:").strip())), None)

    @cached_property
    def _symbol_of_name(self) -> dict[str, str]:
        """Every name key -> the official symbol it best stands for."""
        rows = self.store.run("MATCH (n:Name)-[r:NAMES]->(g:Gene) RETURN n.key AS key, g.symbol AS symbol, r.kind AS kind")
        rows.sort(key=lambda r: NAME_KIND_RANK[r["kind"]], reverse=True)
        return {r["key"]: r["symbol"] for r in rows}

    def closest_symbols(self, name: str, n: int = 5) -> list[str]:
        """Official symbols of the names nearest in spelling (a misspelt alias suggests its gene)."""
        matches = process.extract(name.upper(), list(self._symbol_of_name), scorer=fuzz.ratio, limit=3 * n,
                                  score_cutoff=60)
        return list(dict.fromkeys(self._symbol_of_name[key] for key, _, _ in matches))[:n]

    # ---- location ----------------------------------------------------------------------------

    def genes_in_cytoband(self, band: str) -> list[Gene]:
        """Genes whose HGNC location is the band, a sub-band of it, or a range starting there."""
        band = band.strip()
        if not re.match(r"^(\d{1,2}|X|Y)[pq]\d*(\.\d+)?$", band, re.IGNORECASE):
            raise GeneverseError(f"not a cytoband: {band!r} (expected e.g. 17p13.1, 8q24, Xq28)")
        band = re.sub(r"[PQ]", lambda m: m.group().lower(), band.upper())
        # 17p13 covers 17p13.1 and the range 17p13.1-p12; 17p13.1 covers 17p13.11; 17p1 does not cover 17p13.
        sub_bands = band if "." in band else band + "."
        return self._genes("genes_in_cytoband", band=band, band_dot=sub_bands, band_sub=band + "-")

    def genes_in_region(self, chromosome: str, start: int, end: int) -> list[Gene]:
        if start > end:
            raise GeneverseError(f"region start {start} is after its end {end}")
        return self._genes("genes_in_region", chromosome=chromosome_name(chromosome),
                           start=int(start), stop=int(end))

    # ---- diseases ----------------------------------------------------------------------------

    def diseases_of_gene(self, name: str) -> list[Disease]:
        gene = self.gene(name)
        diseases: dict[str, Disease] = {}
        for row in self._run("diseases_of_gene", gene_id=gene.gene_id):
            source = row.pop("source")
            disease = diseases.setdefault(row["disease_id"], _disease(row))
            if source not in disease.sources:
                disease.sources.append(source)
        return list(diseases.values())

    @cached_property
    def disease_names(self) -> DiseaseNameIndex:
        """Every name and synonym of every condition, for matching names as people write them."""
        names = []
        for row in self._run("disease_names"):
            names += [(row["disease_id"], name) for name in [row["name"], *(row["synonyms"] or [])]]
        return DiseaseNameIndex(names)

    def genes_of_disease(self, disease_name: str, limit: int = 50) -> list[tuple[Disease, list[Gene]]]:
        """The conditions whose name or synonym best matches `disease_name` (word order, numerals and spelling
        aside; kg/disease_names.py), best first, each with its genes and the name it matched."""
        if not name_words(disease_name):
            raise GeneverseError("empty disease name")
        matches = self.disease_names.search(disease_name, limit=limit)
        found = self._diseases_with_genes([m.disease_id for m in matches])
        for (disease, _), match in zip(found, matches):
            disease.score, disease.matched_name = match.score, match.name
        return found

    def disease_family(self, disease_name: str) -> list[tuple[Disease, list[Gene]]]:
        """The conditions a family name stands for ('Otofaciocervical syndrome': types 1 and 2; kg/disease_names.py),
        each with its genes, in name order; empty when the name stands for one condition."""
        family = self.disease_names.family(disease_name)
        return sorted(self._diseases_with_genes(family), key=lambda pair: _natural_order(pair[0].name or ""))

    def _diseases_with_genes(self, ids: list[str]) -> list[tuple[Disease, list[Gene]]]:
        if not ids:
            return []
        diseases = {r["disease_id"]: _disease(r) for r in self._run("diseases_by_id", ids=ids)}
        gene_ids: dict[str, list[str]] = {i: [] for i in ids}
        for row in self._run("genes_of_diseases", ids=ids):
            gene_ids[row["disease_id"]].append(row["gene_id"])
        genes = {g.gene_id: g for g in self.genes(sorted({g for v in gene_ids.values() for g in v}))}
        return [(diseases[i], sorted((genes[g] for g in gene_ids[i]), key=lambda g: g.symbol)) for i in ids]

    # ---- Gene Ontology -------------------------------------------------------------------------

    def go_terms(self, name: str, aspect: str | None = None, direct_only: bool = False) -> list[GoTerm]:
        gene = self.gene(name)
        terms = [GoTerm(**row) for row in self._run("go_terms_of_gene", gene_id=gene.gene_id)]
        return [t for t in terms if (aspect is None or t.aspect == aspect.upper()) and (t.direct or not direct_only)]

    def genes_of_term(self, go_id_or_name: str, direct_only: bool = False) -> list[Gene]:
        go_id = go_id_or_name.strip()
        if not go_id.upper().startswith("GO:"):
            found = self._run("go_term_by_name", name=go_id.lower())
            if not found:
                raise GeneverseError(f"no GO term named {go_id_or_name!r}")
            go_id = found[0]["go_id"]
        rows = self._run("genes_of_term", go_id=go_id.upper())
        genes = self.genes(sorted({r["gene_id"] for r in rows if r["direct"] or not direct_only}))
        return sorted(genes, key=lambda g: g.symbol)

    def go_annotations(self, aspect: str = "BP", direct_only: bool = False) -> dict[str, set[str]]:
        """GO id -> symbols annotated to it: the background of enrichment tests."""
        annotations: dict[str, set[str]] = {}
        table = self.store.columns(self._queries["go_annotations"], {"aspect": aspect.upper()})
        for symbol, go_id, direct in zip(table.get("symbol", []), table.get("go_id", []), table.get("direct", [])):
            if direct or not direct_only:
                annotations.setdefault(go_id, set()).add(symbol)
        return annotations

    def go_term_names(self) -> dict[str, str]:
        """GO id -> name, read once per graph (a copy: callers may change theirs)."""
        return dict(self._go_term_names)

    @cached_property
    def _go_term_names(self) -> dict[str, str]:
        return {r["go_id"]: r["name"] for r in self._run("go_term_names")}

    @cached_property
    def go_term_sizes(self) -> dict[str, int]:
        """GO id -> genes annotated to it, directly or through a more specific term: fewer is more specific."""
        table = self.store.columns(self._queries["go_term_sizes"], {})
        return dict(zip(table.get("go_id", []), table.get("genes", []), strict=True))

    # ---- experiments and tracks ----------------------------------------------------------------

    def experiments(self, assay: str | None = None, target: str | None = None, biosample: str | None = None,
                    limit: int | None = None) -> list[Experiment]:
        """ENCODE experiments; every filter is case-insensitive, biosample matches by fragment."""
        where, params = [], {}
        if assay:
            assay = assay.strip().lower()
            params["assay"] = EXPERIMENT_ASSAYS.get(assay, assay)
            where.append("e.assay_lc CONTAINS $assay")
        if target:
            params["target"] = target.strip().lower()
            symbol = self._unique_symbol(target)
            if symbol:
                params["target_gene"] = symbol
                where.append("(e.target_lc = $target OR e.target_gene = $target_gene)")
            else:
                where.append("e.target_lc = $target")
        if biosample:
            params["biosample"] = biosample.strip().lower()
            where.append("e.biosample_lc CONTAINS $biosample")
        query = self._queries["experiments"].replace("{where}", "WHERE " + " AND ".join(where) if where else "")
        if limit:
            query += f" LIMIT {int(limit)}"
        return [_record(Experiment, r) for r in self.store.run(query, params)]

    def _unique_symbol(self, name: str) -> str | None:
        try:
            resolution = self.resolve(name)
        except GeneverseError:
            return None
        return resolution.best.symbol if resolution.candidates and not resolution.guess else None

    def tracks(self, assay: str | None = None, target: str | None = None, biosample: str | None = None) -> list[Track]:
        """Enformer human output tracks (all 5,313 without filters)."""
        where, params = [], {}
        if assay:
            code = TRACK_ASSAYS.get(assay.strip().lower(), assay.strip().upper())
            params["assay"] = code
            where.append("t.assay = $assay")
        if target:
            params["target"] = target.strip().lower()
            where.append("t.target_lc = $target")
        if biosample:
            params["biosample"] = biosample.strip().lower()
            where.append("t.biosample_lc CONTAINS $biosample")
        query = self._queries["tracks"].replace("{where}", "WHERE " + " AND ".join(where) if where else "")
        return [Track(**r) for r in self.store.run(query, params)]

    def track(self, index: int) -> Track:
        found = self.store.run(self._queries["tracks"].replace("{where}", "WHERE t.`index` = $track_index"), {"track_index": int(index)})
        if not found:
            raise GeneverseError(f"no Enformer track with index {index} (valid: 0..5312)")
        return Track(**found[0])

    def biosamples(self, name_fragment: str | None = None) -> list[str]:
        where = "WHERE b.name_lc CONTAINS $fragment" if name_fragment else ""
        params = {"fragment": name_fragment.strip().lower()} if name_fragment else {}
        return [r["name"] for r in self.store.run(self._queries["biosamples"].replace("{where}", where), params)]

    # ---- free queries and description ----------------------------------------------------------

    def query(self, cypher: str, params: dict | None = None, max_rows: int | None = None) -> list[dict]:
        """Run a user's read-only Cypher; any write or procedure clause is rejected unexecuted. With `max_rows`
        only the first rows are read, so a huge result never fills memory."""
        return self.store.run(check_read_only(cypher), params or {}, max_rows=max_rows)

    def schema_text(self) -> str:
        """Labels, properties and relationship patterns, for text-to-Cypher prompts."""
        notes = (
            "Notes: Name.key is the UPPERCASED gene name; NAMES.kind is official, ncbi_symbol, previous, alias, "
            "synonym, gencode_v23 or gencode_v19. *_lc properties are lower-cased copies for case-insensitive "
            "matching. Gene.source is 'NCBI Gene' for genes HGNC does not name. "
            "Track.assay is DNASE, ATAC, CHIP or CAGE; Experiment.assay is e.g. 'TF ChIP-seq', "
            "'Histone ChIP-seq', 'DNase-seq', 'RNA-seq'. Quote the reserved property names as g.`end` and "
            "t.`index`. Return scalars with aliases, never whole nodes.")
        return schema_text() + "\n" + notes

    def stats(self) -> dict[str, int]:
        counts = {}
        for kind, labels in (("count_nodes", node_labels()), ("count_rels", relationship_types())):
            for label in labels:
                counts[label] = self.store.run(self._queries[kind].replace("{label}", label))[0]["n"]
        return counts


def _record(model, row: dict):
    """Build a record from a result row; backends may return null for an empty list."""
    lists = {f for f, info in model.model_fields.items() if info.annotation == list[str]}
    return model(**{k: [] if v is None and k in lists else v for k, v in row.items()})


def _gene(row: dict) -> Gene:
    return _record(Gene, row)


def _disease(row: dict) -> Disease:
    return _record(Disease, row)


def _natural_order(name: str) -> list:
    """'X 2' before 'X 10'."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name.lower())]


def open_graph(backend: str | None = None, home: Path | None = None, uri: str | None = None) -> GeneGraph:
    """The graph this machine is configured for: Neo4j when NEO4J_URI (or `uri`) is set, else Ladybug."""
    backend = backend or ("neo4j" if uri or os.environ.get("NEO4J_URI") else "ladybug")
    if backend == "ladybug":
        from kg.backends.ladybug import LadybugStore

        return GeneGraph(LadybugStore(graph_dir(home)))
    if backend == "neo4j":
        from kg.backends.neo4j import Neo4jStore

        return GeneGraph(Neo4jStore(uri))
    raise GeneverseError(f"unknown backend {backend!r}: choose ladybug or neo4j")
