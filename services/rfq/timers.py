"""Durable expiry: one asyncio timer per open RFQ, re-armed from the database at start."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from core.db import Database
from services.rfq.handlers import RfqDeps, expire_rfq
from services.rfq.store import open_rfqs

log = logging.getLogger(__name__)


class ExpiryTimers:
    """The database is the truth (state + expires_at); timers only decide when to look again."""

    def __init__(self, deps: RfqDeps) -> None:
        self._deps = deps
        self._handles: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.fired = 0

    def arm(self, tenant_id: str, rfq_id: str, expires_at: datetime) -> None:
        key = (tenant_id, rfq_id)
        old = self._handles.pop(key, None)
        if old is not None:
            old.cancel()
        delay = max(0.0, (expires_at - self._deps.clock()).total_seconds())
        loop = asyncio.get_running_loop()
        self._handles[key] = loop.call_later(delay, self._fire, key)

    def disarm(self, tenant_id: str, rfq_id: str) -> None:
        """The RFQ closed (traded, cancelled, refused): no expiry transaction will be needed. A
        restart re-arms only open RFQs, so this never loses an expiry."""
        handle = self._handles.pop((tenant_id, rfq_id), None)
        if handle is not None:
            handle.cancel()

    def _fire(self, key: tuple[str, str]) -> None:
        self._handles.pop(key, None)
        task = asyncio.create_task(self._expire(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _expire(self, key: tuple[str, str]) -> None:
        try:
            if await expire_rfq(self._deps, *key):
                self.fired += 1
        except Exception:
            # The RFQ stays open in the database and is picked up by the next re-arm.
            log.exception("expiry of RFQ %s failed", key[1])

    async def rearm(self, scan_db: Database | None = None) -> int:
        """Arm a timer for every open RFQ (after a restart); returns how many. The scan spans
        tenants: on Postgres it runs on `scan_db`, the expiry role's read-only pool (each
        expiry then runs as the service, in its RFQ's tenant)."""
        async with (scan_db or self._deps.db).sessions() as session:
            rows = await open_rfqs(session)
        for tenant_id, rfq_id, expires_at in rows:
            self.arm(tenant_id, rfq_id, expires_at)
        return len(rows)

    @property
    def armed(self) -> int:
        return len(self._handles)

    async def close(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
