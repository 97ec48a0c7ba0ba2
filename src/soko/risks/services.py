"""Writes of the risks area: the computation of flags, their review, and re-checking of works.

:func:`risks_compute` gathers facts through Ibis, evaluates the objectivity markers and the
low-results / social rules per year, and stores flags, school summaries and the comparison with
official lists in the application database; pages read only those tables.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from soko.accounts.scope import Scope
from soko.core.errors import ApplicationError
from soko.risks import gather, recheck
from soko.risks.lowcompute import LowOutcome, compute_low
from soko.risks.lowresults import QUADRANTS
from soko.risks.markers import MARKER_CODES
from soko.risks.models import (
    ComputationRun,
    Flag,
    FlagKind,
    FlagReview,
    FlagStatus,
    OfficialComparison,
    SchoolYearRisk,
    flag_key,
)
from soko.risks.objectivity import WorkUnit, compute_year
from soko.risks.params import (
    INDEX_PARAMS,
    MARKER_PARAMS,
    RULE_PARAMS,
    SOCIAL_PARAMS,
    ParamBook,
    load_params,
)
from soko.warehouse.store import open_warehouse

Progress = Callable[[float, str], None]


def _noop(fraction: float, message: str = "") -> None:
    return None


# --- computation --------------------------------------------------------------------------------


def risks_compute(
    *,
    year: int | None = None,
    years: Iterable[int] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Recompute flags and school summaries for ``year`` (or ``years``; all years with results
    when neither is given). Reviews of flags whose key is unchanged are kept.

    Returns a summary: years, flags per kind, schools per marker, seconds.
    """
    say = progress or _noop
    started_at = timezone.now()
    t0 = time.monotonic()
    say(0.01, "риски: чтение данных")
    summary: dict[str, Any] = {"years": [], "flags": {}, "markers": {}, "seconds": 0.0}
    with open_warehouse() as wh:
        gather.refresh_statistics(wh)
        available = gather.years_with_results(wh)
        if year is not None:
            targets = [year]
        elif years is not None:
            wanted = set(years)
            targets = [y for y in available if y in wanted]
        else:
            targets = available
        targets = sorted(set(targets))
        requested = None if year is None and years is None else (
            {year} if year is not None else set(years or [])
        )
        stale = _computed_years(requested) - set(targets)
        for y in sorted(stale):
            _clear_year(y)
        if not targets:
            if stale:
                flags_persistence_refresh()
            say(1.0, "нет результатов для расчёта")
            return summary
        books = {y: load_params(y) for y in targets}
        units_by_year: dict[int, list[WorkUnit]] = {}
        for i, y in enumerate(targets):
            span = 0.75 / len(targets)

            def sub(f: float, m: str = "", _i: int = i, _s: float = span) -> None:
                say(0.02 + _i * _s + f * _s, m)

            book = books[y]
            units_by_year[y] = compute_year(
                wh,
                y,
                params=book.markers(),
                procedures=[str(p) for p in book["objectivity.procedures"]],
                explained_types=[str(t) for t in book["objectivity.m1.explained_types"]],
                progress=sub,
            )
        say(0.8, "риски: низкие результаты и социальный контекст")
        low = compute_low(wh, targets, books)
        official = gather.official_markers(wh, targets)
    say(0.9, "риски: запись флагов")
    for y in targets:
        _write_year(y, units_by_year[y], low, official, books[y])
    flags_persistence_refresh()
    recheck.attach_all_evidence(years=targets)
    counts: dict[str, int] = defaultdict(int)
    markers: dict[str, int] = defaultdict(int)
    for kind, codes in Flag.objects.filter(year__in=targets, current=True).values_list(
        "kind", "codes"
    ):
        counts[kind] += 1
        if kind == FlagKind.OBJECTIVITY:
            for c in codes:
                markers[c] += 1
    summary = {
        "years": targets,
        "flags": {k: counts.get(k, 0) for k in FlagKind.values},
        "markers": {c: markers.get(c, 0) for c in MARKER_CODES},
        "seconds": round(time.monotonic() - t0, 2),
    }
    ComputationRun.objects.create(
        started_at=started_at, finished_at=timezone.now(), years=targets, summary=summary
    )
    say(1.0, "риски рассчитаны")
    return summary


def _objectivity_evidence(unit: WorkUnit, book: ParamBook) -> dict[str, Any]:
    codes = sorted(unit.markers)
    return {
        "assessment_id": unit.assessment_id,
        "n": unit.n,
        "fired": unit.fired,
        "markers": {c: unit.markers[c].to_dict() for c in codes},
        "thresholds": book.describe(
            list(dict.fromkeys(p for c in codes for p in MARKER_PARAMS.get(c, ())))
        ),
    }


def _write_year(
    year: int, units: Sequence[WorkUnit], low: LowOutcome, official: Any, book: ParamBook
) -> None:
    now = timezone.now()
    specs: dict[str, dict[str, Any]] = {}
    per_org: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"codes": set(), "works": 0, "labels": []}
    )
    official_keys: dict[tuple[int, str, str, int | None], str] = {}
    covered: set[tuple[str, str, int | None]] = set()
    if len(official):
        part = official[official["year"] == year]
        for row in part.itertuples(index=False):
            grade = None if row.grade is None or row.grade != row.grade else int(row.grade)
            official_keys[(int(row.org_id), str(row.procedure), str(row.subject), grade)] = str(
                row.list_source
            )
            covered.add((str(row.procedure), str(row.subject), grade))
    for u in units:
        fired = u.fired
        if not fired:
            continue
        ev = _objectivity_evidence(u, book)
        listed = official_keys.get((u.org, u.procedure, u.subject, u.grade))
        ev["official_list"] = (
            {"listed": listed is not None, "source": listed}
            if (u.procedure, u.subject, u.grade) in covered
            else None
        )
        key = flag_key(FlagKind.OBJECTIVITY, u.org, year, u.procedure, u.subject, u.grade)
        specs[key] = {
            "kind": FlagKind.OBJECTIVITY,
            "organization_id": u.org,
            "year": year,
            "procedure": u.procedure,
            "subject": u.subject,
            "grade": u.grade,
            "codes": fired,
            "evidence": ev,
        }
        acc = per_org[u.org]
        acc["codes"].update(fired)
        acc["works"] += 1
        acc["labels"].append(f"{u.procedure} {u.subject} {u.grade or ''}".strip())

    low_thresholds = book.describe(list(RULE_PARAMS + INDEX_PARAMS))
    social_thresholds = book.describe(list(SOCIAL_PARAMS))
    orgs = (
        {k[0] for k in low.rule if k[1] == year}
        | {k[0] for k in low.index if k[1] == year}
        | {k[0] for k in low.social if k[1] == year}
        | {u.org for u in units}
    )
    va = low.value_added.get(year)
    summaries: list[SchoolYearRisk] = []
    for o in sorted(orgs):
        key2 = (o, year)
        rule = low.rule.get(key2)
        index = low.index.get(key2)
        detail = low.index_detail.get(key2)
        soc = low.social.get(key2)
        quad = low.quadrant.get(key2, "other")
        residual = va.residuals.get(o) if va else None
        obj = per_org.get(o)
        profile = low.profile.get(key2) if low.profile_available else None
        objectivity: dict[str, Any] = {
            "markers": len(obj["codes"]) if obj else 0,
            "codes": sorted(obj["codes"]) if obj else [],
            "works": obj["works"] if obj else 0,
            "unreliable": bool(obj),
        }
        rule_ev = (
            {"fired": rule.fired, "failing": [list(w) for w in rule.failing],
             "repeated": [list(w) for w in rule.repeated], "works": rule.works}
            if rule else None
        )
        index_ev = (
            {"fired": index.fired, "value": _f(index.value), "percentile": _f(index.percentile),
             "bottom": index.bottom, "bottom_years": index.bottom_years, "window": index.window,
             "by_procedure": {k: _f(v) for k, v in (detail or {}).get("by_procedure", {}).items()},
             "works": (detail or {}).get("works", 0)}
            if index else None
        )
        social_ev = (
            {"value": _f(soc.value), "percentile": _f(soc.percentile), "top": soc.top,
             "components": soc.components, "pc1": soc.pc1,
             "diagnostics": low.social_diagnostics.get(year)}
            if soc else None
        )
        profile_ev = {
            "available": low.profile_available,
            "values": profile,
            "fields": dict(low.profile_fields),
        }
        common = {
            "quadrant": quad,
            "quadrant_label": QUADRANTS.get(quad, quad),
            "residual": _f(residual),
            "value_added": (
                {"intercept": _f(va.intercept), "slope": _f(va.slope), "r2": _f(va.r2),
                 "n": va.n} if va else None
            ),
            "results_index": _f(index.value) if index else None,
            "objectivity": objectivity,
            "risk_profile": profile_ev,
        }
        low_codes = []
        if rule and rule.fired:
            low_codes.append("rule_30pct")
        if index and index.fired:
            low_codes.append("low_index")
        if low_codes:
            key = flag_key(FlagKind.LOW_RESULTS, o, year, "", "", None)
            specs[key] = {
                "kind": FlagKind.LOW_RESULTS, "organization_id": o, "year": year,
                "procedure": "", "subject": "", "grade": None, "codes": low_codes,
                "evidence": {"rule_30pct": rule_ev, "low_index": index_ev, "social": social_ev,
                             **common, "thresholds": low_thresholds},
            }
        if soc and soc.top:
            key = flag_key(FlagKind.SOCIAL, o, year, "", "", None)
            specs[key] = {
                "kind": FlagKind.SOCIAL, "organization_id": o, "year": year,
                "procedure": "", "subject": "", "grade": None, "codes": ["social_index"],
                "evidence": {"social": social_ev, "low_results": bool(low_codes), **common,
                             "thresholds": social_thresholds},
            }
        summaries.append(
            SchoolYearRisk(
                organization_id=o,
                year=year,
                results_index=_f(index.value) if index else None,
                results_percentile=_f(index.percentile) if index else None,
                results_works=int((detail or {}).get("works", 0)),
                low_index=bool(index and index.fired),
                rule_30pct=bool(rule and rule.fired),
                low_results=bool(low_codes),
                social_index=_f(soc.value) if soc else None,
                social_percentile=_f(soc.percentile) if soc else None,
                social=bool(soc and soc.top),
                quadrant=quad,
                residual=_f(residual),
                objectivity_markers=int(objectivity["markers"]),
                objectivity_works=int(objectivity["works"]),
                evidence={"rule_30pct": rule_ev, "low_index": index_ev, "social": social_ev,
                          "risk_profile": profile_ev, "objectivity": objectivity},
            )
        )
    with transaction.atomic():
        _upsert_flags(year, specs, now)
        SchoolYearRisk.objects.filter(year=year).delete()
        SchoolYearRisk.objects.bulk_create(summaries, batch_size=500)
        _write_comparison(year, official_keys, covered, specs)


def _computed_years(requested: set[int] | None) -> set[int]:
    """Years that have stored flags or summaries (limited to ``requested`` when given)."""
    found = set(Flag.objects.values_list("year", flat=True).distinct()) | set(
        SchoolYearRisk.objects.values_list("year", flat=True).distinct()
    )
    return found if requested is None else found & requested


def _clear_year(year: int) -> None:
    """A year whose results are gone (undone imports): its unreviewed flags and summaries go,
    reviewed flags stay with ``current`` false."""
    with transaction.atomic():
        _upsert_flags(year, {}, timezone.now())
        SchoolYearRisk.objects.filter(year=year).delete()
        OfficialComparison.objects.filter(year=year).delete()


def _f(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)


def _upsert_flags(year: int, specs: dict[str, dict[str, Any]], now: Any) -> None:
    existing = {f.key: f for f in Flag.objects.filter(year=year)}
    reviewed = set(
        FlagReview.objects.filter(flag__year=year).values_list("flag_id", flat=True)
    )
    create, update = [], []
    for key, spec in specs.items():
        flag = existing.get(key)
        if flag is None:
            create.append(Flag(key=key, computed_at=now, current=True, **spec))
            continue
        flag.codes = spec["codes"]
        flag.evidence = spec["evidence"]
        flag.current = True
        flag.computed_at = now
        update.append(flag)
    stale_delete, stale_keep = [], []
    for key, flag in existing.items():
        if key in specs:
            continue
        if flag.status == FlagStatus.OPEN and flag.pk not in reviewed:
            stale_delete.append(flag.pk)
        elif flag.current:
            flag.current = False
            stale_keep.append(flag)
    Flag.objects.bulk_create(create, batch_size=500)
    Flag.objects.bulk_update(update, ["codes", "evidence", "current", "computed_at"],
                             batch_size=500)
    Flag.objects.bulk_update(stale_keep, ["current"], batch_size=500)
    for start in range(0, len(stale_delete), 500):
        OfficialComparison.objects.filter(flag_id__in=stale_delete[start:start + 500]).update(
            flag=None
        )
        Flag.objects.filter(pk__in=stale_delete[start:start + 500]).delete()


def _write_comparison(
    year: int,
    official: dict[tuple[int, str, str, int | None], str],
    covered: set[tuple[str, str, int | None]],
    specs: dict[str, dict[str, Any]],
) -> None:
    OfficialComparison.objects.filter(year=year).delete()
    if not official:
        return
    ours = {
        (s["organization_id"], s["procedure"], s["subject"], s["grade"]): (key, s["codes"])
        for key, s in specs.items()
        if s["kind"] == FlagKind.OBJECTIVITY
        and (s["procedure"], s["subject"], s["grade"]) in covered
    }
    flag_ids = dict(
        Flag.objects.filter(key__in=[k for k, _ in ours.values()]).values_list("key", "id")
    )
    rows = []
    for key4 in sorted(set(official) | set(ours), key=lambda k: (k[0], k[1], k[2], k[3] or 0)):
        in_official = key4 in official
        mine = ours.get(key4)
        agreement = (
            OfficialComparison.Agreement.BOTH if in_official and mine
            else OfficialComparison.Agreement.OFFICIAL if in_official
            else OfficialComparison.Agreement.OURS
        )
        rows.append(
            OfficialComparison(
                organization_id=key4[0], year=year, procedure=key4[1], subject=key4[2],
                grade=key4[3], agreement=agreement, list_source=official.get(key4, ""),
                codes=mine[1] if mine else [], flag_id=flag_ids.get(mine[0]) if mine else None,
            )
        )
    OfficialComparison.objects.bulk_create(rows, batch_size=500)


def flags_persistence_refresh() -> int:
    """Set ``persistent`` on every flag: the school has a current, not dismissed flag of the
    same kind in the previous year too (and so is flagged two or more years running).
    Returns how many flags changed."""
    rows = list(Flag.objects.values_list("id", "kind", "organization_id", "year", "status",
                                         "current", "persistent"))
    live = {(k, o, y) for _, k, o, y, s, c, _ in rows if c and s != FlagStatus.DISMISSED}
    changed = []
    for pk, k, o, y, s, c, p in rows:
        value = bool(c and s != FlagStatus.DISMISSED and (k, o, y - 1) in live)
        if value != p:
            changed.append(Flag(pk=pk, persistent=value))
    Flag.objects.bulk_update(changed, ["persistent"], batch_size=500)
    obj = {(o, y) for k, o, y in live if k == FlagKind.OBJECTIVITY}
    for row in SchoolYearRisk.objects.all().only("id", "organization_id", "year",
                                                  "objectivity_persistent"):
        value = (row.organization_id, row.year) in obj and (
            row.organization_id, row.year - 1) in obj
        if value != row.objectivity_persistent:
            SchoolYearRisk.objects.filter(pk=row.pk).update(objectivity_persistent=value)
    return len(changed)


def post_import_hook(batch: Any) -> None:
    """Recompute after data changed: all years, or the years a batch can affect."""
    year = getattr(batch, "year", None) if batch is not None else None
    if year is None:
        risks_compute()
        return
    risks_compute(years=range(int(year) - 1, int(year) + 3))


# --- review --------------------------------------------------------------------------------------


def flag_review(
    *, flag_id: int, status: str, comment: str, scope: Scope, user: Any = None
) -> Flag:
    """Confirm or dismiss a flag (or reopen it) with a comment; the decision joins the history.

    Only the education authority reviews, and only flags of organizations in its scope.
    Returns the updated flag.
    """
    if status not in FlagStatus.values:
        raise ApplicationError("Недопустимое решение: укажите «подтверждён», «отклонён» или "
                               "«не рассмотрен».")
    if scope.is_public or scope.is_school or not scope.can_edit:
        raise ApplicationError("Рассматривать флаги может только орган управления образованием.")
    comment = (comment or "").strip()
    if status == FlagStatus.DISMISSED and not comment:
        raise ApplicationError("Укажите причину, по которой флаг отклоняется.")
    with transaction.atomic():
        flag = (
            Flag.objects.select_for_update()
            .filter(scope.org_q("organization"), pk=flag_id)
            .first()
        )
        if flag is None:
            raise ApplicationError("Флаг не найден или недоступен.")
        name = ""
        if user is not None and getattr(user, "is_authenticated", False):
            name = user.get_full_name() or user.get_username()
        FlagReview.objects.create(
            flag=flag,
            status=status,
            comment=comment,
            codes=list(flag.codes),
            user=user if getattr(user, "is_authenticated", False) else None,
            user_name=name or "система",
        )
        flag.status = status
        flag.review_comment = comment
        flag.reviewed_at = timezone.now()
        flag.reviewed_by = user if getattr(user, "is_authenticated", False) else None
        flag.save(update_fields=["status", "review_comment", "reviewed_at", "reviewed_by",
                                 "updated_at"])
    flags_persistence_refresh()
    flag.refresh_from_db()
    return flag
