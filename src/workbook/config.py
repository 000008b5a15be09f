"""Settings read from ``WORKBOOK_*`` environment variables, with defaults for a laptop."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

DEFAULT_DB_FILE = "workbook.db"


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number; set it to e.g. {default}") from None


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`get_settings`."""

    db_url: str
    reports_dir: Path = field(default_factory=lambda: Path("reports"))
    max_text_length: int = 20_000
    busy_timeout_ms: int = 30_000


def normalize_db_url(url_or_path: str) -> str:
    """Turn a plain file path into a SQLite URL and check the URL's scheme.

    >>> normalize_db_url("data/wb.db")
    'sqlite:///data/wb.db'
    """
    value = url_or_path.strip()
    if not value:
        raise ConfigError("the database URL is empty; set WORKBOOK_DB_URL or pass --db")
    if "://" not in value:
        # A plain path: built as a URL, so a '?', '#' or '%' in a folder name stays part of the path
        # (pasted into "sqlite:///" it would start a query string and open another file).
        from sqlalchemy.engine import URL

        return URL.create("sqlite", database=value).render_as_string(hide_password=False)
    scheme = value.split("://", 1)[0]
    if scheme in ("postgres", "postgresql"):
        # psycopg 3 is the driver we ship; plain postgresql:// would look for psycopg2.
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    if scheme not in ("sqlite", "postgresql+psycopg"):
        raise ConfigError(
            f"unsupported database URL scheme {scheme!r}; use a file path, sqlite:///PATH "
            "or postgresql+psycopg://USER@HOST/DB"
        )
    return value


def get_settings(db_url: str | None = None) -> Settings:
    """Settings from the environment; an explicit ``db_url`` wins over ``WORKBOOK_DB_URL``."""
    # An explicit empty URL (``--db ""``) is a mistake to report, not a reason to fall back to ./workbook.db.
    url = db_url if db_url is not None else (os.environ.get("WORKBOOK_DB_URL") or DEFAULT_DB_FILE)
    return Settings(
        db_url=normalize_db_url(url),
        reports_dir=Path(os.environ.get("WORKBOOK_REPORTS_DIR", "reports")),
        max_text_length=_int_env("WORKBOOK_MAX_TEXT_LENGTH", 20_000),
        busy_timeout_ms=_int_env("WORKBOOK_BUSY_TIMEOUT_MS", 30_000),
    )
