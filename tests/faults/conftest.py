"""Helpers shared by the failure tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, unavailable


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """The URL of an empty PostgreSQL database of its own (on the CI server), dropped afterwards."""
    import psycopg

    base = make_url(PG_URL)
    name = f"kizuna_faults_{uuid.uuid4().hex[:12]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin_dsn, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        unavailable("PostgreSQL", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
