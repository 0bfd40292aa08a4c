// Read queries of the GeneGraph API. The text is shared by both backends: both accept it as is
// (`end` and `index` are quoted because they are reserved words in Ladybug). Filters that may be
// absent are added by kg/graph.py, since Ladybug cannot type a null parameter.
// name: resolve
MATCH (n:Name {key: $key})-[r:NAMES]->(g:Gene)
RETURN g.gene_id AS gene_id, g.hgnc_id AS hgnc_id, g.symbol AS symbol, g.name AS name, r.kind AS reason,
       g.locus_group AS locus_group, g.go_annotation_count AS go_annotation_count, g.condition_count AS condition_count;
// name: genes_by_id
UNWIND $ids AS id MATCH (g:Gene {gene_id: id}) RETURN {gene_columns};
// name: all_genes
MATCH (g:Gene) RETURN {gene_columns} ORDER BY g.gene_id;
// name: genes_with_summary
MATCH (g:Gene) WHERE g.summary IS NOT NULL AND g.summary <> '' RETURN {gene_columns};
// name: gene_by_entrez
MATCH (g:Gene) WHERE g.entrez_id = $value RETURN {gene_columns};
// name: gene_by_ensembl
MATCH (g:Gene) WHERE g.ensembl_id = $value RETURN {gene_columns};
// name: gene_by_hgnc
MATCH (g:Gene) WHERE g.hgnc_id = $value RETURN {gene_columns};
// name: gene_by_omim
MATCH (g:Gene) WHERE g.omim_id = $value RETURN {gene_columns};
// name: gene_by_uniprot
MATCH (g:Gene) WHERE $value IN g.uniprot_ids RETURN {gene_columns};
// name: genes_in_cytoband
MATCH (g:Gene) WHERE g.cytoband = $band OR g.cytoband STARTS WITH $band_dot OR g.cytoband STARTS WITH $band_sub
RETURN {gene_columns} ORDER BY g.start;
// name: genes_in_region
MATCH (g:Gene) WHERE g.chromosome = $chromosome AND g.assembly = 'GRCh38' AND g.start <= $stop AND g.`end` >= $start
RETURN {gene_columns} ORDER BY g.start;
// name: diseases_of_gene
MATCH (g:Gene {gene_id: $gene_id})-[r:ASSOCIATED_WITH]->(d:Disease)
RETURN {disease_columns}, r.source AS source ORDER BY d.name;
// name: disease_names
MATCH (d:Disease) WHERE d.name IS NOT NULL RETURN d.disease_id AS disease_id, d.name AS name, d.synonyms AS synonyms;
// name: diseases_by_id
MATCH (d:Disease) WHERE d.disease_id IN $ids RETURN {disease_columns};
// name: genes_of_diseases
MATCH (g:Gene)-[:ASSOCIATED_WITH]->(d:Disease) WHERE d.disease_id IN $ids
RETURN DISTINCT d.disease_id AS disease_id, g.gene_id AS gene_id;
// name: go_terms_of_gene
MATCH (g:Gene {gene_id: $gene_id})-[r:ANNOTATED_WITH]->(t:GoTerm)
RETURN t.go_id AS go_id, t.name AS name, t.aspect AS aspect, r.direct AS direct, r.experimental AS experimental
ORDER BY t.aspect, t.go_id;
// name: go_term_by_name
MATCH (t:GoTerm) WHERE toLower(t.name) = $name RETURN t.go_id AS go_id;
// name: genes_of_term
MATCH (g:Gene)-[r:ANNOTATED_WITH]->(t:GoTerm {go_id: $go_id}) RETURN g.gene_id AS gene_id, r.direct AS direct;
// name: go_annotations
MATCH (g:Gene)-[r:ANNOTATED_WITH]->(t:GoTerm) WHERE t.aspect = $aspect
RETURN g.symbol AS symbol, t.go_id AS go_id, r.direct AS direct;
// name: go_term_names
MATCH (t:GoTerm) RETURN t.go_id AS go_id, t.name AS name;
// name: go_term_sizes
MATCH (g:Gene)-[:ANNOTATED_WITH]->(t:GoTerm) RETURN t.go_id AS go_id, count(g) AS genes;
// name: experiments
MATCH (e:Experiment) {where}
RETURN {experiment_columns}
ORDER BY e.accession;
// name: tracks
MATCH (t:Track) {where}
RETURN {track_columns}
ORDER BY t.`index`;
// name: biosamples
MATCH (b:Biosample) {where} RETURN b.name AS name ORDER BY b.name;
// name: count_nodes
MATCH (n:{label}) RETURN count(n) AS n;
// name: count_rels
MATCH ()-[r:{label}]->() RETURN count(r) AS n;
