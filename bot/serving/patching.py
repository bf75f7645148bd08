"""How a fix puts its own function in place of Rasa's, keeping Rasa's to call or compare."""

from __future__ import annotations

from typing import Any, Callable, Dict

# Rasa's own implementations of what the fixes replaced, by (owner, attribute).
_ORIGINALS: Dict[tuple[Any, str], Any] = {}


def original(owner: Any, name: str) -> Any:
    """Rasa's implementation of `owner.name`, whether or not a fix replaced it."""
    return _ORIGINALS.get((owner, name)) or getattr(owner, name)


def replace(owner: Any, name: str, replacement: Callable, kind: Callable = lambda f: f) -> None:
    """Put `replacement` (wrapped by `kind`, e.g. `staticmethod`) at `owner.name`; idempotent."""
    if (owner, name) not in _ORIGINALS:
        _ORIGINALS[(owner, name)] = getattr(owner, name)
        setattr(owner, name, kind(replacement))


def replaced() -> set[tuple[Any, str]]:
    """What the fixes have replaced in this process."""
    return set(_ORIGINALS)
