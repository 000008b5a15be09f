"""Connections, transactions, schema versions: the one place that talks to the database driver."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from ..config import Settings, get_settings
from ..errors import ConfigError, SchemaVersionError, StoreError, WorkbookError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def utcnow() -> dt.datetime:
    """Now, as an aware UTC datetime (the only kind the store accepts)."""
    return dt.datetime.now(dt.timezone.utc)


def _alembic_config(connection: sa.Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _script_directory() -> Any:
    from alembic.script import ScriptDirectory

    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg)


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = _script_directory().get_current_head()
    assert head is not None
    return str(head)


def _refuse_file_in_folder_path(path: Path) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise StoreError(f"{parent} is a file, not a folder; pick another path for the database")
            return


def sqlite_file(url: sa.URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database or a SQLite ``file:`` URI."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    if url.query.get("uri"):  # the caller wrote a SQLite URI and chose its mode themselves
        return None
    return Path(url.database).expanduser()


def _make_engine(settings: Settings, *, create: bool = True) -> sa.Engine:
    """An engine for ``settings.db_url``; with ``create=False`` it never creates a folder or a file."""
    try:
        url = sa.make_url(settings.db_url)
    except (ValueError, sa.exc.ArgumentError) as exc:
        raise ConfigError(f"{safe_url(settings.db_url)} is not a database URL ({_short(exc)}); use a file "
                          "path, sqlite:///PATH or postgresql+psycopg://USER@HOST/DB") from None
    if url.get_backend_name() == "sqlite":
        if url.host or url.username or url.password or url.port:
            raise ConfigError(f"{safe_url(settings.db_url)} names a host, but SQLite is a file; use "
                              "sqlite:///relative/path.db or sqlite:////absolute/path.db")
        path = sqlite_file(url)
        if path is not None:
            if path.is_dir():
                raise StoreError(f"{path} is a folder, not a database file; pass a file path such as "
                                 f"{path / 'workbook.db'}")
            if path.exists() and not path.is_file():
                raise StoreError(f"{path} is not a regular file; pass the path of a workbook database file")
            if create:
                _refuse_file_in_folder_path(path)
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot create the folder {path.parent} for the database "
                                     f"({exc.strerror or exc}); pick another path") from None
            elif not path.exists():
                raise StoreError(f"no database at {path}; run `workbook init` first, or point --db or "
                                 "WORKBOOK_DB_URL at your database")
            elif path.stat().st_size == 0:  # connecting would write a header into it
                raise SchemaVersionError(f"database {path} is empty; run `workbook init` first")
            else:
                # mode=rw: SQLite opens the file only if it exists, so even a file deleted between
                # the check above and the first connection is never created again.
                uri = "file:" + urllib.parse.quote(str(path.resolve()))
                url = url.set(database=uri).update_query_dict({"mode": "rw", "uri": "true"})
        engine = sa.create_engine(url, connect_args={"timeout": settings.busy_timeout_ms / 1000})
        busy = int(settings.busy_timeout_ms)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # We emit BEGIN ourselves (below), so writers can take the lock up front.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout={busy}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA secure_delete=ON")  # erased text is zeroed, not left in free pages
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: sa.Connection) -> None:
            # A deferred transaction that later writes can fail at once with "database is
            # locked" (busy_timeout does not apply to a read->write upgrade in WAL mode);
            # BEGIN IMMEDIATE waits for the write lock instead.
            mode = conn.get_execution_options().get("workbook_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


class StoreBase:
    """Owns the engine and hands out transactions. Domain verbs live in mixins.

    Each mixin (``PeopleMixin``, ``EntriesMixin``, ...) subclasses this base and nothing else, so
    it sees the engine, settings and transactions but no other mixin; ``Store`` puts them side by
    side. A mixin that calls another's verb declares it in an ``if TYPE_CHECKING:`` block: mypy
    checks the call, and at run time nothing shadows the real verb whatever the mixins' order.
    """

    def __init__(self, db_url: str | None = None, *, settings: Settings | None = None,
                 create: bool = True, check_version: bool = True) -> None:
        """Open the database at ``db_url`` (default: the settings').

        ``create=False`` opens only an existing database: it creates no folder, no file and no
        schema (a missing SQLite file is a :class:`StoreError` that says to run ``workbook init``).
        """
        self.settings = settings or get_settings(db_url)
        self.url = self.settings.db_url
        try:
            self.engine = _make_engine(self.settings, create=create)
        except WorkbookError:
            raise
        except Exception as exc:  # missing driver, options the driver refuses
            raise StoreError(f"cannot open database {self._safe_url()}: {_short(exc)}") from None
        try:
            self._connect_first()
            if check_version:
                self._check_version(create=create)
        except BaseException:
            self.engine.dispose()
            raise

    def _safe_url(self) -> str:
        """How messages name the database: a SQLite file by its path, a server by its URL without password."""
        try:
            path = sqlite_file(sa.make_url(self.url))
        except Exception:
            path = None
        return str(path) if path is not None else safe_url(self.url)

    def _connect_first(self) -> None:
        """Connect once now, so a wrong address or a file that is no database fails here, clearly."""
        try:
            with self.engine.connect():
                pass
        except sa.exc.DBAPIError as exc:
            reason = _short(exc)
            path = sqlite_file(sa.make_url(self.url))
            if self.dialect != "sqlite":
                message = (f"cannot connect to {self._safe_url()} ({reason}); check the address in --db or "
                           "WORKBOOK_DB_URL and that the database server is running")
            elif "not a database" in reason:
                message = (f"{path or self._safe_url()} is not a SQLite database; point --db or WORKBOOK_DB_URL "
                           "at a workbook database, or at a new file for `workbook init`")
            else:
                message = (f"cannot open the database file {path or self._safe_url()} ({reason}); check that it "
                           "is a readable and writable file")
            raise StoreError(message) from None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- transactions ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        """A read transaction; driver errors become :class:`StoreError`.

        Private, like :meth:`_write`: every statement lives in a verb of a store mixin, so code
        outside ``store/`` never holds a connection (tests and benchmarks may look inside).
        """
        with self._translate():
            with self.engine.connect() as conn:
                with conn.begin():
                    yield conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """A write transaction: all or nothing; on SQLite it holds the write lock from the start."""
        with self._translate():
            with self.engine.connect() as conn:
                conn = conn.execution_options(workbook_begin="IMMEDIATE")
                with conn.begin():
                    yield conn

    @contextlib.contextmanager
    def _translate(self) -> Iterator[None]:
        try:
            yield
        except WorkbookError:
            raise
        except sa.exc.IntegrityError as exc:
            raise StoreError(f"the database refused the change ({_short(exc)}); nothing was saved") from None
        except sa.exc.OperationalError as exc:
            raise StoreError(
                f"database {self._safe_url()} is unavailable or busy ({_short(exc)}); nothing was saved, "
                "try again in a moment"
            ) from None
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"database error ({_short(exc)}); nothing was saved") from None

    # --- schema versions ------------------------------------------------------------------
    def current_revision(self) -> str | None:
        """The schema revision recorded in the database, or None for an empty database."""
        with self._read() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema up to ``revision`` (default: the newest), keeping all data."""
        from alembic import command

        current = self.current_revision()
        if current is not None and current not in _known_revisions():
            raise SchemaVersionError(self._newer_message(current))
        if current is None:
            self._refuse_foreign()  # never add our tables to another application's database
        if self.dialect == "sqlite":
            # WAL (many kernels write at once) is a property of the file, set here where the database
            # is made: merely opening a file (it may be someone else's) never rewrites its header.
            with self._translate(), self.engine.connect() as conn:
                conn.connection.driver_connection.execute("PRAGMA journal_mode=WAL")  # outside a transaction
        with self._translate():
            with self.engine.begin() as conn:
                command.upgrade(_alembic_config(conn), revision)

    def _newer_message(self, current: str) -> str:
        return (f"database {self._safe_url()} has schema revision {current!r}, written by a newer "
                "workbook than this one; upgrade workbook (pip install -U workbook) to open it")

    def _refuse_foreign(self) -> None:
        with self._read() as conn:
            has_tables = bool(sa.inspect(conn).get_table_names())
        if has_tables:
            raise SchemaVersionError(
                f"database {self._safe_url()} holds tables but no workbook schema revision; "
                "point --db or WORKBOOK_DB_URL at a workbook database or an empty one"
            )

    def _check_version(self, *, create: bool) -> None:
        current = self.current_revision()
        head = head_revision()
        if current == head:
            return
        if current is None:
            self._refuse_foreign()
            if create:
                self.upgrade()
                return
            raise SchemaVersionError(f"database {self._safe_url()} is empty; run `workbook init` first")
        if current not in _known_revisions():
            raise SchemaVersionError(self._newer_message(current))
        raise SchemaVersionError(
            f"database {self._safe_url()} is at schema revision {current!r}, older than this workbook "
            f"({head!r}); run `workbook db upgrade` (your data is kept)"
        )


def _known_revisions() -> set[str]:
    return {s.revision for s in _script_directory().walk_revisions()}


def safe_url(url: str) -> str:
    """``url`` with its password hidden; never raises, even for a URL that does not parse."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)



def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def insert_id(conn: sa.Connection, statement: sa.Insert) -> int:
    """Run an INSERT of one row and return its new integer primary key."""
    key = conn.execute(statement).inserted_primary_key
    if key is None:  # pragma: no cover - every table we insert into has an integer key
        raise StoreError("the database did not return the new row's id")
    return int(key[0])


_Record = TypeVar("_Record", bound="DataclassInstance")


def record(cls: type[_Record], row: sa.Row[Any]) -> _Record:
    """A row as one of the frozen records in :mod:`.models`: exactly the record's fields, by name."""
    values = row._mapping
    return cls(**{f.name: values[f.name] for f in dataclasses.fields(cls)})
