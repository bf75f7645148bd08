"""Whether the serving fixes apply: only on the Rasa they were tested on, and not when switched off.

Every fix replaces a piece of Rasa's internals with code written against one
release; on another release the piece may have changed under it. So on any other
Rasa or rasa-sdk version, or with `ALLIANCE_STOCK_RASA=1` (for debugging and for
comparing behavior), the launcher applies none of them and the stores behave as
the Rasa stores they extend: Alliance runs as stock Rasa.
"""

from __future__ import annotations

from typing import Mapping

from bot import config

# The versions every fix was tested on (tests/unit/serving, tests/e2e).
TESTED = {"rasa": "3.6.21", "rasa-sdk": "3.6.2"}


def installed_versions() -> dict[str, str]:
    """From the installed distributions: importing Rasa here would import TensorFlow too early."""
    from importlib.metadata import version

    return {name: version(name) for name in TESTED}


def why_stock(versions: Mapping[str, str] | None = None) -> str | None:
    """Why the fixes must stay out, or None when they apply."""
    if config.stock_rasa():
        return "ALLIANCE_STOCK_RASA is set"
    versions = installed_versions() if versions is None else versions
    differ = [f"{name} {versions.get(name)}" for name, tested in TESTED.items() if versions.get(name) != tested]
    if differ:
        tested = " and ".join(f"{name} {version}" for name, version in TESTED.items())
        return f"they were tested on {tested}, and this is {', '.join(differ)}"
    return None


def fixes_apply() -> bool:
    return why_stock() is None
