"""Deterministic demo data: realistic feeds for every connector (``hub demo generate``).

Demos, tests and benchmarks need data with the shape of the real thing — valid codes,
related-entity clusters, heavy-tailed complaint rates, a little dirt — without anyone's
personal data. Everything here is invented and reproducible from a seed.
"""
