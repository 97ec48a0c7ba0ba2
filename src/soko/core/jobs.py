"""Background jobs: a registry of job kinds, a synchronous runner and a worker loop.

A job function receives its parameters and a :class:`Progress` callback and returns a JSON-able
result. The same function runs in the foreground from the CLI (progress printed to stderr) and in
the background from the web (progress stored on the :class:`~soko.core.models.Job` row and polled
by the page). Jobs run one at a time per worker because the embedded fact store has one writer.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils import timezone

from soko.core.errors import ApplicationError
from soko.core.models import Job

log = logging.getLogger(__name__)


class ProgressFn(Protocol):
    def __call__(self, fraction: float, message: str = "") -> None: ...


JobFunction = Callable[[dict[str, Any], ProgressFn], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    kind: str
    title: str
    fn: JobFunction


_REGISTRY: dict[str, JobKind] = {}


def register(kind: str, title: str) -> Callable[[JobFunction], JobFunction]:
    """Register a job function under ``kind``; returns the function unchanged."""

    def wrap(fn: JobFunction) -> JobFunction:
        _REGISTRY[kind] = JobKind(kind=kind, title=title, fn=fn)
        return fn

    return wrap


def job_kinds() -> dict[str, JobKind]:
    return dict(_REGISTRY)


class Progress:
    """Writes progress to the job row (throttled) and optionally echoes it to a stream."""

    def __init__(self, job: Job | None, echo: bool = False, min_interval: float = 0.5) -> None:
        self.job = job
        self.echo = echo
        self.min_interval = min_interval
        self._last = 0.0

    def __call__(self, fraction: float, message: str = "") -> None:
        fraction = max(0.0, min(1.0, fraction))
        if self.echo:
            sys.stderr.write(f"\r[{fraction * 100:5.1f} %] {message[:100]:<100}")
            sys.stderr.flush()
        now = time.monotonic()
        if self.job is None or (now - self._last < self.min_interval and fraction < 1.0):
            return
        self._last = now
        if connection.in_atomic_block:
            # A row update inside an open transaction would be invisible until commit and,
            # on SQLite, contend for the write lock; progress is best-effort.
            return
        Job.objects.filter(pk=self.job.pk).update(progress=fraction, message=message[:500])

    def done(self) -> None:
        if self.echo:
            sys.stderr.write("\n")
            sys.stderr.flush()


def job_enqueue(*, kind: str, params: dict[str, Any], user: Any = None, title: str = "") -> Job:
    """Create a queued job; the worker picks it up. Returns the job."""
    from django.conf import settings

    spec = _REGISTRY[kind]
    job = Job.objects.create(
        kind=kind,
        title=title or spec.title,
        params=params,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if getattr(settings, "SOKO_JOBS_EAGER", False):
        return job_run(job)
    return job


def job_run(job: Job, *, echo: bool = False) -> Job:
    """Run a job now in this thread and record its outcome. Returns the refreshed job."""
    spec = _REGISTRY[job.kind]
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, started_at=timezone.now(), progress=0.0
    )
    progress = Progress(job, echo=echo)
    try:
        result = spec.fn(dict(job.params), progress)
    except ApplicationError as exc:
        progress.done()
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            error=exc.message,
            result={"error": exc.message, **exc.extra},
        )
    except Exception as exc:
        progress.done()
        log.exception("job %s (%s) failed", job.pk, job.kind)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            finished_at=timezone.now(),
            error=f"Внутренняя ошибка: {exc.__class__.__name__}: {exc}",
            result={"traceback": traceback.format_exc()[-4000:]},
        )
    else:
        progress.done()
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.DONE,
            finished_at=timezone.now(),
            progress=1.0,
            message="готово",
            result=result,
        )
    job.refresh_from_db()
    return job


def job_claim_next() -> Job | None:
    """Atomically take the oldest queued job (optimistic update). Returns it or None."""
    while True:
        candidate = (
            Job.objects.filter(status=Job.Status.QUEUED).order_by("created_at", "id").first()
        )
        if candidate is None:
            return None
        with transaction.atomic():
            taken = Job.objects.filter(pk=candidate.pk, status=Job.Status.QUEUED).update(
                status=Job.Status.RUNNING, started_at=timezone.now()
            )
        if taken == 1:
            candidate.refresh_from_db()
            return candidate


def worker_loop(stop: threading.Event, poll_seconds: float = 1.0) -> None:
    """Run queued jobs one after another until ``stop`` is set."""
    from django.db import close_old_connections

    while not stop.is_set():
        close_old_connections()
        job = job_claim_next()
        if job is None:
            stop.wait(poll_seconds)
            continue
        job_run(job)


def start_worker_thread() -> tuple[threading.Thread, threading.Event]:
    """Start the in-process worker used by ``soko serve`` (embedded default)."""
    stop = threading.Event()
    # Jobs interrupted by a previous shutdown are failed explicitly, never silently rerun.
    Job.objects.filter(status=Job.Status.RUNNING).update(
        status=Job.Status.FAILED,
        finished_at=timezone.now(),
        error="Задача прервана остановкой сервера; запустите её заново.",
    )
    thread = threading.Thread(target=worker_loop, args=(stop,), name="soko-worker", daemon=True)
    thread.start()
    return thread, stop
