"""Async database access: one engine and session factory per process, for Postgres or SQLite."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, event, make_url, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import greenlet_spawn
from sqlmodel import Session as SQLModelSession
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from core.settings import Settings

# Extra DDL (triggers, partial indexes, RLS policies) run after `create_all`, per dialect name.
DdlHook = Callable[[AsyncConnection], Awaitable[None]]
_ddl_hooks: list[tuple[str, DdlHook]] = []

SQLITE_BUSY_TIMEOUT_MS = 5_000
# The transaction-local setting Postgres row-level security policies compare `tenant_id` with.
TENANT_SETTING = "app.tenant_id"
_TENANT_KEY = "tenant_id"
_BIND_TENANT = text(f"SELECT set_config('{TENANT_SETTING}', :tenant, true)")


# Tenant ids that are safe to inline in SQL text: they let BEGIN and set_config go in one simple
# query (one round trip); anything else is bound as a parameter in a second statement.
_PLAIN_TENANT = re.compile(r"[A-Za-z0-9_.:@-]{1,64}")


class MissingTenant(RuntimeError):
    """A tenant-scoped operation was called without a tenant: a programming error."""


def require_tenant(tenant_id: str | None) -> str:
    if tenant_id is None or not tenant_id.strip():
        raise MissingTenant("tenant_id is mandatory for every tenant-scoped query")
    return tenant_id


class TenantBoundSession(SQLModelSession):
    """A session whose every transaction starts with `set_config(app.tenant_id, …, true)` when
    it was opened for a tenant (`Database.tenant_session`); others carry no tenant at all."""


@event.listens_for(TenantBoundSession, "after_begin")
def _bind_tenant(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    # One statement per transaction, on the connection the transaction runs on; `true` makes
    # it transaction-local, so a pooled connection never carries a tenant into the next one.
    tenant = session.info.get(_TENANT_KEY)
    if tenant is not None and connection.dialect.name == "postgresql":
        connection.execute(_BIND_TENANT, {"tenant": tenant})


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes even for timezone columns: they were stored as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (naive values are rejected on write)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def register_ddl(dialect: str, hook: DdlHook) -> None:
    """Add DDL that `create_all` runs after the tables exist ("postgresql" or "sqlite")."""
    _ddl_hooks.append((dialect, hook))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while the single writer commits; busy_timeout waits for the lock
    # instead of failing at once with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(
    url: str, *, pool_size: int = 10, echo: bool = False, pg_settings: dict[str, str] | None = None
) -> AsyncEngine:
    """An async engine for a postgresql+asyncpg or sqlite+aiosqlite URL; `pg_settings` are
    per-connection Postgres settings (e.g. {"synchronous_commit": "off"} for a benchmark)."""
    if url.startswith("sqlite"):
        if ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:"):
            # Each connection of an in-memory database is a different database: one only.
            engine = _create_async_engine(url, echo=echo, poolclass=NullPool)
        else:
            # A small pool: SQLite has one writer anyway, and opening connections is not free.
            engine = _create_async_engine(url, echo=echo, pool_size=4, max_overflow=4)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip per checkout; stale connections are recycled instead.
    return _create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        connect_args={"server_settings": dict(pg_settings or {})},
    )


@dataclass
class Database:
    """The engine, its session factory and the dialect name, passed to whoever needs the DB."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = async_sessionmaker(
            self.engine,
            class_=AsyncSession,
            sync_session_class=TenantBoundSession,
            expire_on_commit=False,
        )

    def tenant_session(self, tenant_id: str | None) -> AsyncSession:
        """A session bound to one tenant: on Postgres each of its transactions sets
        `app.tenant_id`, which the row-level security policies check (SQLite has no RLS; the
        repositories' own tenant filters isolate there). No tenant is a loud error."""
        return self.sessions(info={_TENANT_KEY: require_tenant(tenant_id)})

    @classmethod
    def from_url(
        cls, url: str, *, pool_size: int = 10, pg_settings: dict[str, str] | None = None
    ) -> Database:
        return cls(create_engine(url, pool_size=pool_size, pg_settings=pg_settings))

    @classmethod
    def from_settings(cls, settings: Settings, *, pool_size: int = 10) -> Database:
        url = settings.effective_database_url()
        if url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls.from_url(url, pool_size=pool_size)

    @classmethod
    def for_role(cls, settings: Settings, role: str, *, pool_size: int = 10) -> Database:
        """The process's runtime pool as its own login role on Postgres (owns no table, no
        BYPASSRLS; see services/identity/db_roles.py); SQLite has no roles: the usual file."""
        if settings.effective_database_url().startswith("sqlite"):
            return cls.from_settings(settings, pool_size=pool_size)
        return cls.from_url(settings.database_url_for(role), pool_size=pool_size)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def asyncpg_dsn(self) -> str:
        """The URL in the form asyncpg.connect() takes (for LISTEN connections)."""
        return self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def create_all(self) -> None:
        """Create every SQLModel table imported so far, then run the registered DDL hooks."""
        async with self.engine.begin() as conn:
            await conn.run_sync(SQLModel.metadata.create_all)
            for dialect, hook in _ddl_hooks:
                if dialect == self.dialect:
                    await hook(conn)

    async def dispose(self) -> None:
        await self.engine.dispose()


async def create_database(url: str, name: str, *, exist_ok: bool = False) -> str:
    """Create an empty Postgres database next to `url`'s; returns its URL (tests, benchmarks).

    With `exist_ok` an existing database of that name is kept as it is."""
    import asyncpg  # type: ignore[import-untyped]

    if not name.replace("_", "").isalnum():
        raise ValueError(f"database name {name!r} must be alphanumeric with underscores")
    base = Database.from_url(url)
    conn = await asyncpg.connect(base.asyncpg_dsn())
    await base.dispose()
    try:
        query = "SELECT 1 FROM pg_database WHERE datname = $1"
        if not (exist_ok and await conn.fetchval(query, name)):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return str(make_url(url).set(database=name).render_as_string(hide_password=False))


async def drop_database(url: str, name: str) -> None:
    """Drop a database created by `create_database`, closing its other connections first."""
    import asyncpg

    base = Database.from_url(url)
    conn = await asyncpg.connect(base.asyncpg_dsn())
    await base.dispose()
    try:
        # FORCE may only terminate sessions of roles the caller belongs to. Pools of other roles
        # (the service roles of ADR 0012) that were just disposed close their sessions a moment
        # later, so a refusal is retried briefly; a session still open after that is a leak.
        for attempt in range(50):
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except asyncpg.InsufficientPrivilegeError:
                if attempt == 49:
                    raise
                await asyncio.sleep(0.1)
    finally:
        await conn.close()


@asynccontextmanager
async def driver_tenant_transaction(db: Database, tenant_id: str) -> AsyncIterator[Any]:
    """The asyncpg connection under a pooled one, in a transaction bound to `tenant_id`
    (row-level security), committed at exit; rolled back on an error, or dropped if it cannot
    be. Hot paths use it to skip SQLAlchemy's per-statement work (Postgres only)."""
    require_tenant(tenant_id)
    raw = await db.engine.raw_connection()
    conn: Any = raw.driver_connection
    try:
        if _PLAIN_TENANT.fullmatch(tenant_id):
            await conn.execute(f"BEGIN; SELECT set_config('{TENANT_SETTING}', '{tenant_id}', true)")
        else:
            await conn.execute("BEGIN")
            await conn.execute("SELECT set_config($1, $2, true)", TENANT_SETTING, tenant_id)
        yield conn
        await conn.execute("COMMIT")
    except Exception:
        # The pool's reset does not know about a transaction begun behind SQLAlchemy's back.
        if conn.is_in_transaction():
            try:
                await conn.execute("ROLLBACK")
            except BaseException as exc:
                await greenlet_spawn(raw.invalidate, exc if isinstance(exc, Exception) else None)
                raise
        await greenlet_spawn(raw.close)
        raise
    except BaseException as exc:  # cancelled mid-statement: the protocol state is unknown
        await greenlet_spawn(raw.invalidate, exc if isinstance(exc, Exception) else None)
        raise
    else:
        await greenlet_spawn(raw.close)
