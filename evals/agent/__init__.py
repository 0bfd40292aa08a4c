"""Benchmarks of the agent: a question set generated from the graph, accuracy and latency of
`geneverse ask --batch`, and injection attempts against the omics query."""
