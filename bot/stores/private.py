"""SQLite files only their owner can read: they hold what conversations did, if never what was said."""

from __future__ import annotations

import os
from pathlib import Path

import sqlite_utils


def open_private(path: Path) -> sqlite_utils.Database:
    """The database at `path`, created 0600 (its folder 0700) if it doesn't exist yet."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    return sqlite_utils.Database(path)
