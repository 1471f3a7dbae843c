"""The graph: driver lifecycle, migrations, Cypher builders and batched writers."""
