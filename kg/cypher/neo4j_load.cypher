// Bulk load, Neo4j dialect: one batched UNWIND per table, run inside a single transaction so that
// a failed build rolls back and leaves the previous graph in place. Ladybug loads the same rows
// with COPY (kg/backends/ladybug.py).
// name: Gene
UNWIND $rows AS r MERGE (n:Gene {gene_id: r.gene_id}) SET n.hgnc_id = r.hgnc_id, n.symbol = r.symbol, n.name = r.name, n.locus_group = r.locus_group, n.locus_type = r.locus_type, n.entrez_id = r.entrez_id, n.ensembl_id = r.ensembl_id, n.uniprot_ids = r.uniprot_ids, n.omim_id = r.omim_id, n.refseq = r.refseq, n.chromosome = r.chromosome, n.cytoband = r.cytoband, n.start = r.start, n.end = r.end, n.strand = r.strand, n.tss = r.tss, n.summary = r.summary, n.aliases = r.aliases, n.previous_symbols = r.previous_symbols, n.synonyms = r.synonyms, n.gencode_names = r.gencode_names, n.source = r.source, n.assembly = r.assembly, n.gene_groups = r.gene_groups;
// name: Name
UNWIND $rows AS r MERGE (n:Name {key: r.key}) SET n.name = r.name;
// name: GoTerm
UNWIND $rows AS r MERGE (n:GoTerm {go_id: r.go_id}) SET n.name = r.name, n.aspect = r.aspect;
// name: Disease
UNWIND $rows AS r MERGE (n:Disease {disease_id: r.disease_id}) SET n.name = r.name, n.name_lc = r.name_lc, n.medgen_id = r.medgen_id, n.omim_id = r.omim_id, n.mondo_id = r.mondo_id, n.hpo_ids = r.hpo_ids, n.sources = r.sources;
// name: Biosample
UNWIND $rows AS r MERGE (n:Biosample {name: r.name}) SET n.name_lc = r.name_lc;
// name: Experiment
UNWIND $rows AS r MERGE (n:Experiment {accession: r.accession}) SET n.assay = r.assay, n.assay_lc = r.assay_lc, n.target = r.target, n.target_lc = r.target_lc, n.target_gene = r.target_gene, n.biosample = r.biosample, n.biosample_lc = r.biosample_lc, n.biosample_type = r.biosample_type, n.source = r.source, n.file_accessions = r.file_accessions;
// name: Track
UNWIND $rows AS r MERGE (n:Track {index: r.index}) SET n.identifier = r.identifier, n.assay = r.assay, n.target = r.target, n.target_lc = r.target_lc, n.biosample = r.biosample, n.biosample_lc = r.biosample_lc, n.description = r.description, n.experiment = r.experiment;
// name: NAMES
UNWIND $rows AS r MATCH (a:Name {key: r.key}), (b:Gene {gene_id: r.gene_id}) MERGE (a)-[e:NAMES]->(b) SET e.kind = r.kind;
// name: ANNOTATED_WITH
UNWIND $rows AS r MATCH (a:Gene {gene_id: r.gene_id}), (b:GoTerm {go_id: r.go_id}) MERGE (a)-[e:ANNOTATED_WITH]->(b) SET e.direct = r.direct, e.experimental = r.experimental;
// name: ASSOCIATED_WITH
UNWIND $rows AS r MATCH (a:Gene {gene_id: r.gene_id}), (b:Disease {disease_id: r.disease_id}) MERGE (a)-[e:ASSOCIATED_WITH {source: r.source}]->(b) SET e.association_type = r.association_type;
// name: TARGETS
UNWIND $rows AS r MATCH (a:Experiment {accession: r.accession}), (b:Gene {gene_id: r.gene_id}) MERGE (a)-[:TARGETS]->(b);
// name: IN_BIOSAMPLE
UNWIND $rows AS r MATCH (a:Experiment {accession: r.accession}), (b:Biosample {name: r.biosample}) MERGE (a)-[:IN_BIOSAMPLE]->(b);
// name: FROM_EXPERIMENT
UNWIND $rows AS r MATCH (a:Track {index: r.index}), (b:Experiment {accession: r.accession}) MERGE (a)-[:FROM_EXPERIMENT]->(b);
