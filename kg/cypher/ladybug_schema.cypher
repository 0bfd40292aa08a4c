// Gene graph schema, Ladybug dialect. Compare with neo4j_schema.cypher: the labels, properties
// and relationship types are the same; Ladybug declares types and primary keys up front.
CREATE NODE TABLE Gene(gene_id STRING PRIMARY KEY, hgnc_id STRING, symbol STRING, name STRING, locus_group STRING, locus_type STRING, entrez_id STRING, ensembl_id STRING, uniprot_ids STRING[], omim_id STRING, refseq STRING[], chromosome STRING, cytoband STRING, start INT64, `end` INT64, strand STRING, tss INT64, summary STRING, aliases STRING[], previous_symbols STRING[], synonyms STRING[], gencode_names STRING[], source STRING, assembly STRING, gene_groups STRING[]);
CREATE NODE TABLE Name(key STRING PRIMARY KEY, name STRING);
CREATE NODE TABLE GoTerm(go_id STRING PRIMARY KEY, name STRING, aspect STRING);
CREATE NODE TABLE Disease(disease_id STRING PRIMARY KEY, name STRING, name_lc STRING, medgen_id STRING, omim_id STRING, mondo_id STRING, hpo_ids STRING[], sources STRING[]);
CREATE NODE TABLE Biosample(name STRING PRIMARY KEY, name_lc STRING);
CREATE NODE TABLE Experiment(accession STRING PRIMARY KEY, assay STRING, assay_lc STRING, target STRING, target_lc STRING, target_gene STRING, biosample STRING, biosample_lc STRING, biosample_type STRING, source STRING, file_accessions STRING[]);
CREATE NODE TABLE Track(`index` INT64 PRIMARY KEY, identifier STRING, assay STRING, target STRING, target_lc STRING, biosample STRING, biosample_lc STRING, description STRING, experiment STRING);
CREATE REL TABLE NAMES(FROM Name TO Gene, kind STRING);
CREATE REL TABLE ANNOTATED_WITH(FROM Gene TO GoTerm, direct BOOLEAN, experimental BOOLEAN);
CREATE REL TABLE ASSOCIATED_WITH(FROM Gene TO Disease, source STRING, association_type STRING);
CREATE REL TABLE TARGETS(FROM Experiment TO Gene);
CREATE REL TABLE IN_BIOSAMPLE(FROM Experiment TO Biosample);
CREATE REL TABLE FROM_EXPERIMENT(FROM Track TO Experiment);
