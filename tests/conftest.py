"""Shared fixtures: a real SQLite file and a real PostgreSQL database for every store test."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from workbook import Store, import_cohort

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "cohorts" / "example"
PG_ADMIN_URL = os.environ.get("WORKBOOK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin() -> sa.Engine | None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            return engine
    except sa.exc.OperationalError:
        return None


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A throw-away PostgreSQL database at the current schema, used as a template per test."""
    admin = _pg_admin()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable at {PG_ADMIN_URL}; CI requires it")
        pytest.skip("PostgreSQL is not running at 127.0.0.1:5432")
    name = f"wb_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    Store(url).close()  # migrate the template once
    yield name
    with admin.connect() as c:
        c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def new_pg_url(template: str) -> tuple[str, str]:
    admin = _pg_admin()
    assert admin is not None
    name = f"wb_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    admin.dispose()
    return sa.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), name


def drop_pg(name: str) -> None:
    admin = _pg_admin()
    if admin is not None:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database URL: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'workbook.db'}"
        return
    template = request.getfixturevalue("pg_template")
    url, name = new_pg_url(template)
    yield url
    drop_pg(name)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An open store on each backend."""
    s = Store(db_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store on a SQLite file only (for tests about the file itself)."""
    s = Store(f"sqlite:///{tmp_path / 'workbook.db'}")
    yield s
    s.close()


@pytest.fixture
def example(store: Store) -> Store:
    """The store with the example cohort imported (no entries)."""
    import_cohort(store, EXAMPLE)
    return store


def dump(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: to prove that nothing changed."""
    from workbook.store.schema import metadata

    out = {}
    with store._read() as conn:
        for name, table in metadata.tables.items():
            out[name] = sorted((tuple(map(repr, r)) for r in conn.execute(sa.select(table))))
    return out


@pytest.fixture(scope="module")
def jupyter_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Jupyter, IPython and matplotlib state in a temporary folder (inherited by the kernels)."""
    base = tmp_path_factory.mktemp("jupyter")
    with pytest.MonkeyPatch.context() as mp:
        for var, sub in (("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl"), ("JUPYTER_RUNTIME_DIR", "runtime")):
            (base / sub).mkdir()
            mp.setenv(var, str(base / sub))
        mp.setenv("MPLBACKEND", "Agg")
        yield base
