"""Fix: message processing runs the model's graphs in dependency order, one node after another.

That is how dask's synchronous scheduler, which Rasa's `DaskGraphRunner` uses, runs
them, but without its per-run bookkeeping; a message runs up to three graphs. The
results are the same, node for node.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Dict

from bot.serving.patching import replace


@cache
def sequential_graph_runner() -> type:
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    class SequentialGraphRunner(DaskGraphRunner):
        """Runs the same nodes as `DaskGraphRunner`, in dependency order, with the same results."""

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


def install() -> None:
    import rasa.core.processor

    replace(rasa.core.processor, "DaskGraphRunner", sequential_graph_runner())  # what message processing runs
