"""bot.serving.collector: what the server loads is frozen out of the garbage collector."""

from __future__ import annotations

import pytest

from bot import config
from bot.serving import collector, patching

MODEL = config.ROOT / "models" / "alliance.tar.gz"


async def test_what_the_server_loads_is_frozen_out_of_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import rasa.core.run

    loaded = object()

    async def load_agent_on_start(*args: object, **kwargs: object) -> object:
        assert gc.get_freeze_count() == 0  # nothing frozen before the model is in memory
        return loaded

    monkeypatch.setitem(patching._ORIGINALS, (rasa.core.run, "load_agent_on_start"), load_agent_on_start)
    try:
        assert await collector._load_agent_then_freeze("model", endpoints=None) is loaded
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
