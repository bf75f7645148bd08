"""Fix: a server loads TensorFlow only if its model uses it.

This project's model never runs TensorFlow, yet three paths import it, at a cost
of seconds and hundreds of MB per process (docs/benchmarks.md):
- `rasa.utils.train_utils`, imported by modules every server loads: it is loaded
  lazily here, on first use;
- thinc, spaCy's ML library, which imports TensorFlow whenever it is installed, to
  offer TensorFlow layers: it is told here that TensorFlow is absent;
- the model's *training* graph, whose recipe validator imports DIET and TED: a
  command that only predicts (`run`, `shell`) reads the model without it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from typing import Any, Dict

from bot.serving.patching import original, replace

# Rasa modules that import TensorFlow at import time, loaded on first use instead.
DEFERRED = frozenset({"rasa.utils.train_utils"})


class _DeferredFinder(importlib.abc.MetaPathFinder):
    """Wraps the normal loader of the DEFERRED modules in `importlib.util.LazyLoader`."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name not in DEFERRED:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def defer_tensorflow() -> None:
    """Must run before Rasa and spaCy are imported; idempotent."""
    if not any(isinstance(f, _DeferredFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _DeferredFinder())
    if "thinc.compat" not in sys.modules and "tensorflow" not in sys.modules:
        sys.modules["tensorflow"] = None  # type: ignore[assignment]  # `import tensorflow` raises ImportError
        try:
            import thinc.compat  # noqa: F401  # records has_tensorflow = False
        finally:
            del sys.modules["tensorflow"]


def _metadata_without_train_schema(serialized: Dict[str, Any]) -> Any:
    """`ModelMetadata.from_dict` with an empty training graph: its classes are never imported."""
    from rasa.engine.graph import GraphSchema
    from rasa.engine.storage.storage import ModelMetadata

    return original(ModelMetadata, "from_dict")({**serialized, "train_schema": GraphSchema({}).as_dict()})


def serve_prediction_graph_only() -> None:
    """For commands that only predict (`run`, `shell`), never for training."""
    from rasa.engine.storage.storage import ModelMetadata

    replace(ModelMetadata, "from_dict", _metadata_without_train_schema, staticmethod)
