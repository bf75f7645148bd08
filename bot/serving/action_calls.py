"""Fix: cheaper calls to the action server, with the same requests and the same verdicts.

- An action's reply is checked against Rasa's schema with validators built once per
  process. `jsonschema.validate`, which Rasa calls, checks the schema itself on every
  call. Each event is then checked only against the schema's alternatives for its
  own event name: the same verdict, at a fraction of the cost.
- An action listed in `CURRENT_TURN_ACTIONS` is sent the events of the current turn
  (from the latest user message on), with all slots and the latest message, instead
  of the whole conversation: turning every event of a long conversation into JSON,
  and back in the action server, is most of an action call, and fewer of the user's
  words travel. Any other action gets the whole conversation, as Rasa sends it.
- Action calls reuse one HTTP client session, and so its connections, per endpoint
  and event loop, where Rasa opens a session and a connection for each call.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any, Dict, Sequence

from bot.serving.patching import original, replace

# Actions that read nothing before the current turn but slots and the latest message,
# so they may be sent the current turn's events only. An action added to actions/ is
# sent the whole conversation until its name is added here (README, "Custom actions").
CURRENT_TURN_ACTIONS = frozenset(
    {
        "action_answer_faq",
        "action_tell_more",
        "action_suggest_topics",
        "action_show_menu",
        "action_record_escalation",
        "action_record_feedback",
        "action_session_start",
    }
)

# Seconds an idle kept connection stays open. Sanic (the action server) closes one after
# 5 idle seconds; closing it here first means no request ever goes out on a connection
# the other side is closing, which would lose that action's reply.
IDLE_CONNECTION_SECONDS = 2.0


@cache
def _action_result_validators() -> tuple[Any, Any, Dict[str, Any]]:
    """Rasa's schema checked once; and the same schema split for a fast path.

    The schema checks each event against a `oneOf` of about twenty alternatives, one
    per event name, each fixing `event` to its name: an event can only match the
    alternatives of its own name, so checking those alone gives the same verdict. The
    rest of the schema is checked with the events' item schema left open.
    """
    import jsonschema
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    events = schema["properties"]["events"]
    items = events["items"]
    by_name: Dict[str, list] = {}
    for alternative in items["oneOf"]:
        name = alternative.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or "event" not in items.get("required", []):
            by_name = {}  # the split would not be exact: always use the whole schema
            break
        by_name.setdefault(name, []).append(alternative)
    item_base = {key: value for key, value in items.items() if key != "oneOf"}
    outer = {**schema, "properties": {**schema["properties"], "events": {**events, "items": {}}}}
    per_event = {name: cls({**item_base, "oneOf": alternatives}) for name, alternatives in by_name.items()}
    return cls(schema), cls(outer), per_event


def _action_result_passes(result: Any) -> bool:
    """True exactly when Rasa's schema accepts `result` (False may also mean: no fast path)."""
    _, outer, per_event = _action_result_validators()
    if not per_event or not outer.is_valid(result):
        return False
    events = result.get("events")
    if not isinstance(events, list):
        return True  # absent: nothing to check; anything else failed `outer`
    for event in events:
        name = event.get("event") if isinstance(event, dict) else None
        validator = per_event.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """`RemoteAction._validate_action_result` with the checked schema reused; same errors."""
    from jsonschema import ValidationError
    from rasa.shared.constants import DOCS_BASE_URL

    if _action_result_passes(result):
        return True
    try:
        _action_result_validators()[0].validate(result)
        return True
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise


def _current_turn(events: Sequence[Any]) -> list:
    """The events from the latest user message, session start or restart on (all, if none)."""
    from rasa.shared.core.events import Restarted, SessionStarted, UserUttered

    for i in range(len(events) - 1, -1, -1):
        if isinstance(events[i], UserUttered | SessionStarted | Restarted):
            return list(itertools.islice(events, i, None))
    return list(events)


def _action_call_format(self: Any, tracker: Any, domain: Any) -> Dict[str, Any]:
    """`RemoteAction._action_call_format`, with the current turn's events only for the listed actions."""
    import rasa
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import EventVerbosity

    if self.name() not in CURRENT_TURN_ACTIONS:
        return original(RemoteAction, "_action_call_format")(self, tracker, domain)
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in _current_turn(tracker.events)]
    result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state, "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


class _KeptSession:
    """An `async with` that yields a long-lived session and leaves it open."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None


def _new_session(endpoint: Any) -> Any:
    """The session `EndpointConfig.session` makes (headers, basic auth, timeout), with that idle limit."""
    import aiohttp
    from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT

    auth = None
    if endpoint.basic_auth:
        auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
    return aiohttp.ClientSession(
        headers=endpoint.headers,
        auth=auth,
        timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
        connector=aiohttp.TCPConnector(keepalive_timeout=IDLE_CONNECTION_SECONDS),
    )


def _endpoint_session(self: Any) -> _KeptSession:
    """`EndpointConfig.session`, made once per endpoint and event loop (sessions are bound to one loop)."""
    import asyncio

    loop = asyncio.get_running_loop()
    kept = self.__dict__.get("_alliance_session")
    if kept is None or kept[0] is not loop or kept[1].closed:
        kept = self.__dict__["_alliance_session"] = (loop, _new_session(self))
    return _KeptSession(kept[1])


def install() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    replace(RemoteAction, "_validate_action_result", _validate_action_result)
    replace(RemoteAction, "_action_call_format", _action_call_format)
    replace(EndpointConfig, "session", _endpoint_session)
