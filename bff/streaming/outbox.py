"""Per-subscription bounded outbox: never blocks the hub; a slow reader is resynced instead."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from bff.streaming.metrics import StreamStats
from bff.streaming.model import Frame
from bff.streaming.wire import Sink


class Outbox:
    """Frames waiting for one subscriber.

    `offer` is synchronous and O(1). When `max_depth` frames are already waiting the reader is
    too slow: the queue is discarded and the next `get` returns a fresh snapshot, i.e. the
    latest value of every instrument: a slow consumer skips intermediate states, never values.
    """

    def __init__(self, max_depth: int, resync: Callable[[], Frame], stats: StreamStats) -> None:
        self._frames: deque[Frame] = deque()
        self._max_depth = max_depth
        self._resync = resync
        self._stats = stats
        self._wake = asyncio.Event()
        self._resync_due = False
        self.closed = False
        # Direct path (ADR 0012): the socket and this subscription's `{"id":..,"payload":` bytes.
        self.sink: Sink | None = None
        self.prefix = b""
        self._reader_parked = False

    def __len__(self) -> int:
        return len(self._frames)

    def offer(self, frame: Frame) -> None:
        if self.closed:
            return
        if len(self._frames) >= self._max_depth:
            self._stats.frames_dropped += len(self._frames) + 1
            self._frames.clear()
            self._resync_due = True
        else:
            self._frames.append(frame)
        self._wake.set()

    def deliver(self, frame: Frame) -> bool:
        """Write the frame to the socket now if nothing can be ahead of it (nothing queued, the
        reader parked in `get`, so not mid-send) and the socket takes it; else queue it.

        Returns whether it was written. Synchronous: the flush never waits for a socket.
        """
        sink = self.sink
        if (
            sink is not None
            and self._reader_parked
            and not self._frames
            and not self._resync_due
            and not self.closed
            and sink.ready()
        ):
            sink.write(frame.wire(self.prefix))
            return True
        self.offer(frame)
        return False

    def close(self) -> None:
        self.closed = True
        self._frames.clear()
        self._wake.set()

    async def get(self) -> Frame | None:
        """The next frame to send (waiting if none); None once closed."""
        while not self.closed:
            if self._resync_due:
                self._resync_due = False
                self._stats.resyncs += 1
                return self._resync()
            if self._frames:
                return self._frames.popleft()
            self._wake.clear()
            self._reader_parked = True
            try:
                await self._wake.wait()
            finally:
                self._reader_parked = False
        return None
