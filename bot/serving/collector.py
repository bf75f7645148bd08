"""Fix: once the model is loaded, everything alive is frozen out of the garbage collector.

The model, spaCy and Rasa leave a few hundred thousand objects that live as long
as the server; every full collection walked them all, a pause that fell on
whichever reply was being prepared. `gc.freeze` moves them out of its sight.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.serving.patching import original, replace

logger = logging.getLogger(__name__)


async def _load_agent_then_freeze(*args: Any, **kwargs: Any) -> Any:
    """Rasa's `load_agent_on_start`, then the loaded objects frozen."""
    import gc

    import rasa.core.run

    agent = await original(rasa.core.run, "load_agent_on_start")(*args, **kwargs)
    gc.collect()
    gc.freeze()
    logger.debug("Froze %d objects that live as long as the server.", gc.get_freeze_count())
    return agent


def install() -> None:
    import rasa.core.run

    replace(rasa.core.run, "load_agent_on_start", _load_agent_then_freeze)
