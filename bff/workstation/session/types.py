"""Session heartbeat: shows a client the stream is alive and its correlation id."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type(description="One beat of the session heartbeat stream")
class Heartbeat:
    sequence: int
    at: datetime
    correlation_id: str
