"""Storage backends behind `GeneGraph`: Ladybug embedded (default) and Neo4j 5."""
