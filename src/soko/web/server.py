"""``soko serve``: the WSGI application under waitress plus the in-process job worker."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def serve(*, host: str, port: int, worker: bool = True, threads: int = 8) -> None:
    """Serve until interrupted. The worker thread runs queued background jobs one at a time."""
    from waitress import serve as waitress_serve

    from soko.core.instance import warehouse_reconcile
    from soko.core.jobs import start_worker_thread
    from soko.wsgi import application

    warehouse_reconcile()
    stop = None
    if worker:
        _, stop = start_worker_thread()
    print(f"СОКО: http://{host}:{port}/  (Ctrl+C — остановить)", flush=True)  # noqa: T201
    try:
        waitress_serve(application, host=host, port=port, threads=threads, ident="soko")
    finally:
        if stop is not None:
            stop.set()
