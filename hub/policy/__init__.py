"""Access policies: ``policies/access.yaml`` loaded, validated and compiled to Cypher."""
