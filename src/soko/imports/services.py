"""The import pipeline: archive → detect → parse → validate → plan → commit all-or-nothing.

Order of writes (see :mod:`soko.warehouse.store` for why it is safe):

1. under the import lock, facts left by an interrupted import are removed (reconcile);
2. one application transaction creates referenced records, the batch and its slices, marks
   replaced slices superseded, and — inside it — the fact-store transaction appends the facts
   with slice state ``pending``;
3. after the application commit, the new slices become ``active`` in the fact store.

A process killed before step 2 commits leaves nothing visible; the pending facts are removed by
the next import or start-up. Rejected files change nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from soko.accounts.scope import SYSTEM, Scope
from soko.core.errors import ApplicationError
from soko.imports.context import ImportContext, KindHandler
from soko.imports.models import ImportBatch, ImportSlice
from soko.imports.parsing.problems import ImportRejected, Problem, ProblemList
from soko.imports.parsing.tables import read_any
from soko.warehouse.store import ACTIVE, PENDING, SUPERSEDED, UNDONE, open_warehouse

PostImportHook = Callable[[ImportBatch | None], None]
_HOOKS: list[PostImportHook] = []


def register_post_import_hook(hook: PostImportHook) -> None:
    """Other areas register what to recompute after data changed (imports and undo)."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


@dataclass
class ImportOutcome:
    status: str  # "imported" | "unchanged" | "dry_run"
    batch_id: int | None
    kind: str
    kind_title: str
    file: str
    sha256: str
    rows: int
    assessments: list[str] = field(default_factory=list)
    organizations: int = 0
    new_organizations: list[str] = field(default_factory=list)
    new_assessments: list[str] = field(default_factory=list)
    slices: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- kinds ------------------------------------------------------------------------------------


def handler_for(kind: str) -> KindHandler:
    from soko.imports.facts_handler import FACT_KINDS, FactsHandler
    from soko.imports.registry_handler import REGISTRY_KINDS, RegistryHandler
    from soko.imports.results_handler import RESULT_KINDS, ResultsHandler

    if kind in RESULT_KINDS:
        return ResultsHandler(kind)
    if kind in FACT_KINDS:
        return FactsHandler(kind)
    if kind in REGISTRY_KINDS:
        return RegistryHandler(kind)
    raise ApplicationError(
        f"Неизвестный вид данных «{kind}». Допустимые: {', '.join(all_kinds())}."
    )


def all_kinds() -> list[str]:
    from soko.imports.facts_handler import FACT_KINDS
    from soko.imports.registry_handler import REGISTRY_KINDS
    from soko.imports.results_handler import RESULT_KINDS

    return sorted(RESULT_KINDS | set(FACT_KINDS) | set(REGISTRY_KINDS))


def detect_kind(path: Path, sheets: list[Any]) -> str | None:
    """Recognise the kind of a file from its content (file name as a last hint)."""
    from soko.imports.detect import detect

    return detect(path, sheets)


# --- helpers ----------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def archive_path_for(sha: str, name: str) -> Path:
    safe = "".join(ch if ch.isalnum() or ch in "._- " else "_" for ch in name)[:150]
    return settings.SOKO.uploads_dir / sha[:2] / sha / safe


def _archive(src: Path, sha: str, name: str) -> Path:
    target = archive_path_for(sha, name)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".partial")
        shutil.copyfile(src, tmp)
        tmp.replace(target)
    return target


class _IncomingFile:
    """The checksum and the archive copy of an incoming file, made by a helper thread while
    the import reads and checks the file (hashing and copying release the GIL): for a regional
    CSV they cost about half a second that the import no longer waits for."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.size = path.stat().st_size
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="soko-import-file")
        self._sha = self._pool.submit(sha256_of, path)
        self._copy: Future[Path] | None = None

    @property
    def sha(self) -> str:
        return self._sha.result()

    def may_be_imported(self) -> bool:
        """Whether an imported batch could hold this very file (one of the same size exists)."""
        return ImportBatch.objects.filter(
            size=self.size,
            status__in=[ImportBatch.Status.ACTIVE, ImportBatch.Status.PARTLY_REPLACED],
        ).exists()

    def start_archive(self) -> Path:
        """Start copying the file to the archive; returns where it will be."""
        self._copy = self._pool.submit(_archive, self.path, self.sha, self.name)
        return archive_path_for(self.sha, self.name)

    def archived(self) -> Path:
        """Wait for the archive copy (raises what the copy raised)."""
        assert self._copy is not None
        return self._copy.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def import_lock() -> Iterator[None]:
    """One import (or undo) at a time per instance.

    With DuckDB the fact store's file lock does it; on PostgreSQL a session advisory lock.
    """
    with open_warehouse():
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(7501)")
        try:
            yield
        finally:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(7501)")


def _reconcile_locked() -> None:
    states = dict(ImportSlice.objects.values_list("id", "state"))
    with open_warehouse() as wh:
        wh.reconcile({int(k): str(v) for k, v in states.items()})


def _noop_progress(fraction: float, message: str = "") -> None:
    return None


# --- import -----------------------------------------------------------------------------------


def import_file(
    path: Path,
    *,
    kind: str | None = None,
    year: int | None = None,
    mapping: dict[str, str] | None = None,
    create_orgs: bool = False,
    dry_run: bool = False,
    user: Any = None,
    scope: Scope = SYSTEM,
    original_name: str | None = None,
    options: dict[str, Any] | None = None,
    progress: Callable[[float, str], None] | None = None,
    run_hooks: bool = True,
) -> ImportOutcome:
    """Import one file. Raises :class:`ImportRejected` (nothing written) when it is not valid.

    Returns the outcome: the batch created, or ``unchanged`` when the same file is already
    imported, or the plan of a dry run. ``run_hooks=False`` skips the recomputation that
    follows an import (bulk loads run it once at the end with :func:`run_post_import_hooks`).
    """
    say = progress or _noop_progress
    name = original_name or path.name
    if not path.exists() or path.stat().st_size == 0:
        raise ImportRejected([Problem("empty_file", "Файл пуст.", file=name)])
    if (create_orgs and not scope.can_edit) or (create_orgs and scope.is_school):
        raise ApplicationError("Создавать организации из файла может только орган управления.")
    if not scope.can_edit:
        raise ApplicationError("Недостаточно прав для загрузки данных.")
    incoming = _IncomingFile(path, name)
    try:
        return _import(
            incoming, kind=kind, year=year, mapping=mapping, create_orgs=create_orgs,
            dry_run=dry_run, user=user, scope=scope, options=options, say=say,
            run_hooks=run_hooks,
        )
    finally:
        incoming.close()


def _import(
    incoming: _IncomingFile,
    *,
    kind: str | None,
    year: int | None,
    mapping: dict[str, str] | None,
    create_orgs: bool,
    dry_run: bool,
    user: Any,
    scope: Scope,
    options: dict[str, Any] | None,
    say: Callable[[float, str], None],
    run_hooks: bool,
) -> ImportOutcome:
    path, name = incoming.path, incoming.name
    options = dict(options or {})
    if scope.is_school and "org" not in options:
        from soko.registry.models import Organization

        own = Organization.objects.filter(pk=scope.organization_id or 0).values_list(
            "code", flat=True
        )
        options["org"] = own.first()
    # the same file imported before: only then is its checksum needed before reading it
    same = (
        ImportBatch.objects.filter(
            sha256=incoming.sha,
            status__in=[ImportBatch.Status.ACTIVE, ImportBatch.Status.PARTLY_REPLACED],
        )
        .order_by("-id")
        .first()
        if incoming.may_be_imported()
        else None
    )
    if same is not None and (kind is None or kind == same.kind):
        return ImportOutcome(
            status="unchanged",
            batch_id=same.pk,
            kind=same.kind,
            kind_title=same.summary.get("kind_title", same.kind),
            file=name,
            sha256=incoming.sha,
            rows=same.rows_accepted,
            assessments=list(same.summary.get("assessments", [])),
            organizations=int(same.summary.get("organizations", 0)),
            warnings=[f"Этот файл уже загружен (загрузка №{same.pk}); данные не изменились."],
        )
    say(0.02, "чтение файла")
    with import_lock():
        _reconcile_locked()
        tmp_root = settings.SOKO.data_dir / "tmp"
        with tempfile.TemporaryDirectory(dir=tmp_root) as tmp_name:
            problems = ProblemList(name)
            canonical = kind == "canonical" or (
                kind is None and path.suffix.lower() in {".csv", ".parquet"} and _is_canonical(path)
            )
            sheets = [] if canonical else read_any(path)
            detected = "canonical" if canonical else (kind or detect_kind(path, sheets))
            if detected is None:
                raise ImportRejected(
                    [
                        Problem(
                            "unknown_kind",
                            "Не удалось определить вид данных по содержимому файла. Укажите "
                            "вид явно (--kind) или проверьте, что это выгрузка поддерживаемого "
                            "формата.",
                            file=name,
                        )
                    ]
                )
            ctx = ImportContext(
                path=path,
                file_name=name,
                kind=detected,
                year=year,
                mapping=mapping,
                create_orgs=create_orgs,
                scope=scope,
                user=user,
                options=options,
                progress=say,
                problems=problems,
                sheets=sheets,
                tmp_dir=Path(tmp_name),
            )
            handler = handler_for(detected)
            try:
                handler.prepare(ctx)
                problems.raise_if_any()
                outcome = _outcome(ctx, handler, incoming.sha)
                if dry_run:
                    outcome.status = "dry_run"
                    return outcome
                say(0.6, "запись")
                batch = _commit(ctx, handler, incoming)
            finally:
                handler.close()
    outcome.batch_id = batch.pk
    outcome.rows = batch.rows_accepted
    outcome.extra.update(
        {k: v for k, v in batch.summary.items() if k in {"task_scores", "facts"}}
    )
    if run_hooks:
        say(0.95, "пересчёт показателей")
        run_post_import_hooks(batch)
    say(1.0, "готово")
    return outcome


def _is_canonical(path: Path) -> bool:
    if path.suffix.lower() == ".parquet":
        return True
    with path.open("rb") as fh:
        first = fh.readline().decode("utf-8-sig", errors="replace").lower()
    names = {c.strip().strip('"') for c in first.strip().split(",")}
    return {"procedure", "org_code", "participant_code", "task", "score"} <= names


def _outcome(ctx: ImportContext, handler: KindHandler, sha: str) -> ImportOutcome:
    orgs = {ps.organization_id or ps.label for ps in ctx.plan}
    return ImportOutcome(
        status="imported",
        batch_id=None,
        kind=ctx.kind,
        kind_title=handler.title,
        file=ctx.file_name,
        sha256=sha,
        rows=sum(ps.rows for ps in ctx.plan),
        assessments=list(ctx.summary.get("assessments", [])),
        organizations=len(orgs),
        new_organizations=list(ctx.summary.get("new_organizations", [])),
        new_assessments=list(ctx.summary.get("new_assessments", [])),
        slices=[
            {
                "label": ps.label,
                "rows": ps.rows,
                "action": "replace" if ps.replaces else "add",
                "replaces_batches": ps.replaces_batches,
                "replaced_rows": ps.replaced_rows,
            }
            for ps in ctx.plan
        ],
        warnings=list(ctx.warnings),
        extra={k: v for k, v in ctx.summary.items() if k not in {"assessments"}},
    )


def _commit(ctx: ImportContext, handler: KindHandler, incoming: _IncomingFile) -> ImportBatch:
    # the copy runs while the records are written; the batch commits only once it is done
    archive = incoming.start_archive()
    scope_org = ctx.scope.organization_id if ctx.scope.is_school else None
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=ctx.kind,
            file_name=ctx.file_name,
            sha256=incoming.sha,
            size=incoming.size,
            archive_path=str(archive),
            year=ctx.year,
            options={k: v for k, v in ctx.options.items() if v is not None}
            | {"create_orgs": ctx.create_orgs, "mapping": ctx.mapping or {}},
            uploaded_by=ctx.user if getattr(ctx.user, "is_authenticated", False) else None,
            scope_organization_id=scope_org,
        )
        handler.write_app(ctx, batch)
        slices = _create_slices(ctx, batch)
        facts = 0
        if handler.writes_facts:
            with open_warehouse() as wh, wh.write() as writer:
                writer.add_slices([(s.pk, batch.pk, ctx.kind) for s in slices], state=PENDING)
                facts = handler.write_facts(ctx, writer, [s.pk for s in slices])
        rows = sum(s.rows for s in slices)
        batch.rows_accepted = rows
        batch.summary = {
            "kind_title": handler.title,
            "assessments": ctx.summary.get("assessments", []),
            "organizations": len({s.organization_id for s in slices}),
            "warnings": ctx.warnings[:100],
            "facts": facts,
            **{k: v for k, v in ctx.summary.items() if k not in {"assessments"}},
        }
        batch.save(update_fields=["rows_accepted", "summary", "updated_at"])
        replaced = _supersede(batch, slices)
        incoming.archived()
    if handler.writes_facts:
        states = {s.pk: ACTIVE for s in slices} | dict.fromkeys(replaced, SUPERSEDED)
        with open_warehouse() as wh, wh.write() as writer:
            writer.set_states(states)
    return batch


@dataclass(frozen=True)
class _NewSlice:
    pk: int
    unit_key: str
    organization_id: int | None
    rows: int


def _create_slices(ctx: ImportContext, batch: ImportBatch) -> list[_NewSlice]:
    """Insert the batch's slices in plan order; returns them with their ids.

    Plain ``INSERT``s: ``bulk_create`` spends about 0.1 ms a slice building model instances,
    a second for a regional file of 11 000 slices.
    """
    quote = connection.ops.quote_name
    columns = ["batch_id", "kind", "unit_key", "assessment_id", "organization_id", "year", "rows",
               "state"]
    values = [
        (batch.pk, ctx.kind, ps.unit_key, ps.assessment_id, ps.organization_id, ps.year, ps.rows,
         ImportSlice.State.ACTIVE.value)
        for ps in ctx.plan
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(ImportSlice._meta.db_table)} "
            f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})",
            values,
        )
    ids = list(
        ImportSlice.objects.filter(batch=batch).order_by("pk").values_list("pk", flat=True)
    )
    assert len(ids) == len(ctx.plan)
    return [
        _NewSlice(pk=pk, unit_key=ps.unit_key, organization_id=ps.organization_id, rows=ps.rows)
        for pk, ps in zip(ids, ctx.plan, strict=True)
    ]


def _supersede(batch: ImportBatch, slices: list[_NewSlice]) -> list[int]:
    """Mark earlier active slices with the same unit key superseded. Returns their ids."""
    by_key = {s.unit_key: s for s in slices if s.unit_key}
    if not by_key:
        return []
    olds = [
        old
        for chunk in _chunked(sorted(by_key), 500)
        for old in ImportSlice.objects.filter(
            unit_key__in=chunk, state=ImportSlice.State.ACTIVE
        ).exclude(batch=batch)
    ]
    for old in olds:
        old.state = ImportSlice.State.SUPERSEDED
        old.superseded_by_id = by_key[old.unit_key].pk
    ImportSlice.objects.bulk_update(olds, ["state", "superseded_by"], batch_size=1000)
    for batch_id in {old.batch_id for old in olds}:
        _refresh_batch_status(batch_id)
    return [old.pk for old in olds]


def _chunked(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _refresh_batch_status(batch_id: int) -> None:
    batch = ImportBatch.objects.get(pk=batch_id)
    if batch.status == ImportBatch.Status.UNDONE:
        return
    states = set(batch.slices.values_list("state", flat=True))
    if states == {ImportSlice.State.SUPERSEDED}:
        status = ImportBatch.Status.REPLACED
    elif ImportSlice.State.SUPERSEDED in states:
        status = ImportBatch.Status.PARTLY_REPLACED
    else:
        status = ImportBatch.Status.ACTIVE
    if status != batch.status:
        batch.status = status
        batch.save(update_fields=["status", "updated_at"])


def run_post_import_hooks(batch: ImportBatch | None) -> None:
    """Recompute what depends on imported data; ``None`` means everything."""
    for hook in _HOOKS:
        hook(batch)


# --- undo -------------------------------------------------------------------------------------


def import_undo(*, batch_id: int, user: Any = None, scope: Scope = SYSTEM) -> ImportBatch:
    """Undo a batch: its slices disappear and the slices it replaced come back.

    Returns the batch (status «отменена»). The batch stays in history.
    """
    from soko.imports.registry_handler import REGISTRY_KINDS, registry_undo

    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise ApplicationError(f"Загрузка №{batch_id} не найдена.")
    if not scope.can_edit or (
        scope.is_school and batch.scope_organization_id != scope.organization_id
    ):
        raise ApplicationError("Недостаточно прав, чтобы отменить эту загрузку.")
    if batch.status == ImportBatch.Status.UNDONE:
        raise ApplicationError(f"Загрузка №{batch_id} уже отменена.")
    with import_lock():
        _reconcile_locked()
        states: dict[int, str] = {}
        with transaction.atomic():
            if batch.kind in REGISTRY_KINDS:
                registry_undo(batch)
            touched: set[int] = set()
            for s in batch.slices.all():
                if s.state == ImportSlice.State.ACTIVE:
                    for old in s.supersedes.filter(state=ImportSlice.State.SUPERSEDED):
                        old.state = ImportSlice.State.ACTIVE
                        old.superseded_by = None
                        old.save(update_fields=["state", "superseded_by"])
                        states[old.pk] = ACTIVE
                        touched.add(old.batch_id)
                s.state = ImportSlice.State.UNDONE
                s.save(update_fields=["state"])
                states[s.pk] = UNDONE
            batch.status = ImportBatch.Status.UNDONE
            batch.undone_at = timezone.now()
            batch.save(update_fields=["status", "undone_at", "updated_at"])
            for other in touched:
                _refresh_batch_status(other)
        with open_warehouse() as wh, wh.write() as writer:
            writer.set_states(states)
    run_post_import_hooks(batch)
    return batch
