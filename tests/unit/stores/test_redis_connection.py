"""bot.stores.redis_connection: one URL for every Redis setting Rasa's stores take."""

from __future__ import annotations

import pytest

from bot.stores.redis_connection import connection_kwargs, redacted


def test_a_plain_host_stays_as_rasa_reads_it() -> None:
    got = connection_kwargs("redis.internal", {"port": 6380, "db": 1})
    assert got == {"host": "redis.internal", "port": 6380, "db": 1}
    assert connection_kwargs(None, {}) == {"host": "localhost"}


def test_a_url_gives_host_port_db_user_password_and_tls() -> None:
    got = connection_kwargs("rediss://alliance:p%40ss@cache.example:6390/3?ssl_ca_certs=/etc/ca.pem", {"db": 1})
    assert got == {
        "host": "cache.example", "port": 6390, "db": 3, "username": "alliance", "password": "p@ss",
        "use_ssl": True, "ssl_ca_certs": "/etc/ca.pem",
    }  # fmt: skip


def test_a_url_without_a_database_keeps_the_store_default() -> None:
    assert connection_kwargs("redis://:secret@localhost", {"db": 1}) == {
        "host": "localhost", "port": 6379, "db": 1, "password": "secret", "use_ssl": False,
    }  # fmt: skip


def test_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="redis:// or rediss://"):
        connection_kwargs("http://localhost:6379", {})


def test_the_password_never_shows_in_messages() -> None:
    assert redacted("redis://:hunter2@host:6379/0") == "redis://:***@host:6379/0"
