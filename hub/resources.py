"""Where the hub finds its rules, its migrations and its state.

Rules (``policies/*.yaml``) and migrations (``schema/neo4j/*.cypher``) ship inside the
package as ``hub/_data`` (links to the top-level folders in a checkout, copies in a wheel),
so an installed hub finds them wherever it runs; settings may point elsewhere
(``HUB_POLICIES_DIR``, ``HUB_SCHEMA_DIR``). State never lives beside installed code.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

_PACKAGE = Path(str(files("hub")))
# A source checkout (``pip install -e .``, ``make run``): the package sits next to pyproject.
SOURCE_CHECKOUT = (_PACKAGE.parent / "pyproject.toml").is_file()


def packaged(name: str) -> Path:
    """A data folder shipped inside the package (``policies`` or ``migrations``)."""
    return (_PACKAGE / "_data" / name).resolve()


def default_state_dir() -> Path:
    """``./.hub`` of a source checkout; otherwise the user's data directory (XDG)."""
    if SOURCE_CHECKOUT:
        return _PACKAGE.parent / ".hub"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "credit-hub"
