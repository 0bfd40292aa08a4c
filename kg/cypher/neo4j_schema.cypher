// Gene graph schema, Neo4j 5 dialect. Compare with ladybug_schema.cypher: Neo4j is schemaless,
// so only the keys are declared, as uniqueness constraints; lookups use the same keys.
CREATE CONSTRAINT gene_id IF NOT EXISTS FOR (n:Gene) REQUIRE n.gene_id IS UNIQUE;
CREATE CONSTRAINT name_key IF NOT EXISTS FOR (n:Name) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT go_id IF NOT EXISTS FOR (n:GoTerm) REQUIRE n.go_id IS UNIQUE;
CREATE CONSTRAINT disease_id IF NOT EXISTS FOR (n:Disease) REQUIRE n.disease_id IS UNIQUE;
CREATE CONSTRAINT biosample_name IF NOT EXISTS FOR (n:Biosample) REQUIRE n.name IS UNIQUE;
CREATE CONSTRAINT experiment_accession IF NOT EXISTS FOR (n:Experiment) REQUIRE n.accession IS UNIQUE;
CREATE CONSTRAINT track_index IF NOT EXISTS FOR (n:Track) REQUIRE n.index IS UNIQUE;
CREATE INDEX gene_entrez IF NOT EXISTS FOR (n:Gene) ON (n.entrez_id);
CREATE INDEX gene_ensembl IF NOT EXISTS FOR (n:Gene) ON (n.ensembl_id);
CREATE INDEX gene_hgnc IF NOT EXISTS FOR (n:Gene) ON (n.hgnc_id);
CREATE INDEX gene_omim IF NOT EXISTS FOR (n:Gene) ON (n.omim_id);
