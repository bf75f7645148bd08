"""Redis by URL for Rasa's stores, whose own settings are host, port, db, password and `use_ssl`.

One `ALLIANCE_REDIS_URL` (`redis://:password@host:6379/0`, `rediss://` for TLS)
configures the tracker store, the lock store and the channels' shared record of
deliveries alike; a plain host name still works as Rasa reads it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SCHEMES = ("redis", "rediss")


def connection_kwargs(url: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    """`settings` (Rasa's store arguments) with what `url` says in place of host, port, db, user, password, TLS."""
    settings = dict(settings)
    if not url or "://" not in url:
        settings["host"] = url or settings.get("host") or "localhost"
        return settings
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"Redis URL scheme {parts.scheme!r}: use redis:// or rediss:// (TLS)")
    settings["host"] = parts.hostname or "localhost"
    settings["port"] = parts.port or 6379
    if parts.path.strip("/"):
        settings["db"] = int(parts.path.strip("/"))
    if parts.username:
        settings["username"] = unquote(parts.username)
    if parts.password:
        settings["password"] = unquote(parts.password)
    settings["use_ssl"] = parts.scheme == "rediss"
    query = parse_qs(parts.query)
    for key in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        if key in query:
            settings[key] = query[key][-1]
    return settings


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)
