"""Administrative division codes (GB/T 2260) and what a jurisdiction covers.

A jurisdiction code covers the divisions that share its significant prefix: trailing
``00`` pairs are "everything below" — 510000 (Sichuan) covers 51xxxx, 510100 (Chengdu)
covers 5101xx, 510104 (Jinjiang) covers only itself.
"""

from __future__ import annotations


def prefix(code: str) -> str:
    """The significant prefix of a jurisdiction code (``510100`` → ``5101``)."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def covers(jurisdiction: str, division: str) -> bool:
    return division.startswith(prefix(jurisdiction))


def cypher_covers(jurisdiction: str, division: str) -> str:
    """The same test as a Cypher expression over two string expressions."""
    return (f"{division} STARTS WITH CASE WHEN {jurisdiction} ENDS WITH '0000' "
            f"THEN left({jurisdiction}, 2) WHEN {jurisdiction} ENDS WITH '00' "
            f"THEN left({jurisdiction}, 4) ELSE {jurisdiction} END")
