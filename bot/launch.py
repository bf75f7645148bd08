"""`python -m bot.launch ARGS`: Rasa's own command line, with two fixes that make serving cheap.

Found by profiling (docs/benchmarks.md), neither changes what Rasa answers:

- A server loads TensorFlow only if its model uses it. Importing it costs about
  3 s and 440 MB, and this project's model never runs it, but three paths reach it:
  `rasa.utils.train_utils`, from modules every server loads (loaded lazily here,
  on first use); thinc, spaCy's ML library, which imports it whenever it is
  installed to offer TensorFlow layers (told here that it is absent); and the
  model's *training* graph, whose recipe validator imports DIET and TED (serving
  runs only the prediction graph, so `run` and `shell` skip the training graph).
- An action server's reply is validated against a schema checked once per process.
  `jsonschema.validate` checks the schema itself on every call: about 23 ms of a
  65 ms reply, a third of the latency.
- Events are deserialised with a cached type lookup. `Event.resolve_by_type` walks
  every Event subclass for every stored event, each time a tracker is read: 40%
  of a message's time once the above was gone.
- The model's graphs run in dependency order, one node after another, as dask's
  synchronous scheduler runs them but without its bookkeeping (about 1 ms a run,
  and a message runs up to three).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import sys
from functools import cache
from typing import Any, Dict, Sequence

logger = logging.getLogger(__name__)

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


@cache
def _action_result_validator() -> Any:
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    return validator(schema)


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the checked schema reused; same errors."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        _action_result_validator().validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise


def _metadata_without_train_schema(serialized: Dict[str, Any]) -> Any:
    from rasa.engine.graph import GraphSchema

    return _load_metadata({**serialized, "train_schema": GraphSchema({}).as_dict()})


def serve_prediction_graph_only() -> None:
    """For commands that only predict: the model's training graph is never imported."""
    global _load_metadata
    from rasa.engine.storage.storage import ModelMetadata

    if ModelMetadata.from_dict is not _metadata_without_train_schema:
        _load_metadata = ModelMetadata.from_dict
        ModelMetadata.from_dict = staticmethod(_metadata_without_train_schema)


_load_metadata: Any = None


def cache_action_schema() -> None:
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result


_EVENT_TYPES: Dict[str, Any] = {}


def _resolve_event_type(type_name: str, default: Any = None) -> Any:
    """`Event.resolve_by_type` with the subclass walk done once (again only for an unknown name)."""
    if type_name not in _EVENT_TYPES:
        from rasa.shared.core.events import Event
        from rasa.shared.utils.common import all_subclasses

        _EVENT_TYPES.update((cls.type_name, cls) for cls in reversed(all_subclasses(Event)))
    if type_name in _EVENT_TYPES:
        return _EVENT_TYPES[type_name]
    return _original_resolve(type_name, default)


_original_resolve: Any = None


def cache_event_types() -> None:
    global _original_resolve
    from rasa.shared.core.events import Event

    if Event.resolve_by_type is not _resolve_event_type:
        _original_resolve = Event.resolve_by_type
        Event.resolve_by_type = staticmethod(_resolve_event_type)


def run_graphs_in_order() -> None:
    """Message processing runs its graphs with `SequentialGraphRunner` (below)."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = sequential_graph_runner()


@cache
def sequential_graph_runner() -> type:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    class SequentialGraphRunner(DaskGraphRunner):
        """Runs the same nodes as `DaskGraphRunner`, in the same order, with the same results."""

        def run(self, inputs: Dict[str, Any] | None = None, targets: list[str] | None = None) -> Dict[str, Any]:
            run_targets = list(targets or self._graph_schema.target_names)
            results: Dict[str, Any] = {}
            for name, value in (inputs or {}).items():
                if isinstance(value, str) and value in self._graph_schema.nodes:
                    raise GraphRunError(f"Input value '{value}' clashes with a node name.")
                results[name] = (name, value)
            try:
                for name, needs in self._plan(tuple(run_targets)):
                    results[name] = self._instantiated_nodes[name](*(results[n] for n in needs))
            except RuntimeError as e:
                raise GraphRunError("Error running runner.") from e
            return dict(results[target] for target in run_targets)

        def _plan(self, targets: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
            """The nodes the targets need, each after its dependencies (cached per target set)."""
            plans = self.__dict__.setdefault("_plans", {})
            if targets not in plans:
                nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
                order: list[str] = []

                def visit(name: str) -> None:
                    if name in nodes and name not in order:
                        for dependency in nodes[name].needs.values():
                            visit(dependency)
                        order.append(name)

                for target in targets:
                    visit(target)
                plans[targets] = [(name, tuple(nodes[name].needs.values())) for name in order]
            return plans[targets]

    return SequentialGraphRunner


def main(argv: Sequence[str] | None = None) -> None:
    """Run Rasa's command line with the fixes in place."""
    args = list(sys.argv[1:] if argv is None else argv)
    defer_tensorflow()
    cache_action_schema()
    cache_event_types()
    run_graphs_in_order()
    if args[:1] in (["run"], ["shell"]) and args[1:2] != ["actions"]:
        serve_prediction_graph_only()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *args]
    rasa_main()


if __name__ == "__main__":
    main()
