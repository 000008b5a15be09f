"""Migrations: an old database upgrades to head with its data; versions are checked on open."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from workbook import SchemaVersionError, Store
from workbook.cli import main
from workbook.store import head_revision
from workbook.store.schema import metadata


def test_first_revision_upgrades_to_head_keeping_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Store(url, check_version=False)
    old.upgrade("0001_core")
    now = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc).replace(tzinfo=None)
    with old.engine.begin() as conn:  # data written by the first release, with raw SQL
        conn.exec_driver_sql(
            "INSERT INTO cohorts VALUES ('old', 'Old cohort', 'UTC', 5, 'coach', '{}', ?, ?)", (now, now))
        conn.exec_driver_sql("INSERT INTO people VALUES ('p1', 'Pat', 'p@x.org', ?, ?)", (now, now))
    old.close()
    with pytest.raises(SchemaVersionError, match="workbook db upgrade"):
        Store(url)
    result = CliRunner().invoke(main, ["--db", url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "0001_core -> " + head_revision() in result.output
    s = Store(url)
    assert s.get_cohort("old").name == "Old cohort" and s.get_person("p1").name == "Pat"


def test_newer_database_is_refused_clearly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    Store(url).close()
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(SchemaVersionError, match="newer workbook"):
        Store(url)


def test_foreign_database_is_not_touched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    eng = sa.create_engine(url)
    with eng.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(SchemaVersionError, match="no workbook schema"):
        Store(url)


def test_migrated_schema_matches_the_code(db_url: str) -> None:
    """The migrations create exactly the tables the queries are written against."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = Store(db_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    # SQLite does not report unique constraints declared inline the same way; ignore those only
    diff = [d for d in diff if not (isinstance(d, tuple) and d[0] in ("add_constraint", "remove_constraint"))]
    assert diff == []
