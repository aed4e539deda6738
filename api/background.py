"""Work the app does beside requests: the webhook delivery worker, and process-wide guards.

The worker is a daemon thread started with the app (lifespan) and stopped with it. Several
processes may each run one: deliveries are claimed atomically in the database
(mapping.alerts.delivery), so none is sent twice at once.
`CIVICMAP_WEBHOOK_WORKER_INTERVAL_S=0` runs
no worker in this process, e.g. when a separate job sends them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from mapping.alerts.delivery import DeliveryWorker
from mapping.photos.imaging import guard_decoding
from mapping.settings import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Set the photo decoding guard, and run the delivery worker for the app's lifetime (inside
    whatever lifespan the app already has)."""
    guard_decoding(settings.max_photo_pixels)
    app.state.delivery_worker = DeliveryWorker(app.state.engine, app.state.policies.delivery)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: Any) -> AsyncIterator[Any]:
        async with inner(running) as state:
            worker: DeliveryWorker = app.state.delivery_worker
            interval = settings.webhook_worker_interval_s
            if interval > 0:
                worker.start(interval)
            try:
                yield state
            finally:
                worker.stop()

    app.router.lifespan_context = lifespan
