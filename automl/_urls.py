"""Storage URLs: the file behind a SQLite URL, and URLs shown without their password."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy

__all__ = ["sqlite_file", "without_password"]


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL (also ``sqlite:///file:PATH?mode=ro&uri=true``), or ``None``
    for an in-memory database or another kind of database."""
    if not url.startswith("sqlite:"):
        return None
    database = sqlalchemy.engine.make_url(url).database or ""
    database = database.removeprefix("file:").split("?", 1)[0]
    return None if not database or database == ":memory:" else Path(database)


def without_password(url: str) -> str:
    """``url`` with its password replaced by ``***``."""
    try:
        return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
    except sqlalchemy.exc.ArgumentError:
        return url
