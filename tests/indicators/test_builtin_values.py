"""Every built-in indicator of this area, computed by hand from the fixture of ``fixture.py``.

Places: A, B — schools sch990001, sch990002; M — municipality 9901; R — region 99. Values are
percent (factor 100) unless the unit says otherwise; ``HIDDEN`` — the group is under the minimum
size and stored without figures; ``None`` — no value row at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from soko.indicators.models import IndicatorValue
from soko.indicators.services import indicators_compute
from tests.indicators import fixture

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HIDDEN = "hidden"
AREA_YAML = Path(__file__).resolve().parents[2] / "src/soko/indicators/data/indicators.yaml"


def pct(numerator: float, denominator: float) -> float:
    return 100.0 * numerator / denominator


def norm(value: float, lo: float, hi: float, lower_better: bool = False) -> float:
    """Min–max normalisation as the methodology of the composite indices states it."""
    share = 0.5 if hi == lo else (value - lo) / (hi - lo)
    return 1 - share if lower_better else share


# ВПР (all works of 2026): A — 22 writers (МА 4: 12, РУ 4: 10); B — 10 (РУ 5); M — 32.
VPR_SUCCESS = {"A": pct(15, 22), "B": pct(9, 10), "M": pct(24, 32)}
VPR_SHARE5 = {"A": pct(5, 22), "B": pct(4, 10), "M": pct(9, 32)}
VPR_QUALITY = {"A": pct(10, 22), "B": pct(7, 10), "M": pct(17, 32)}
VPR_SHARE2 = {"A": pct(7, 22), "B": pct(1, 10), "M": pct(8, 32)}
OGE_QUALITY_A = pct(18, 23)
EGE_BELOW = {"A": pct(3, 22), "B": pct(2, 20), "M": pct(5, 42)}
EGE_HIGH = {"A": pct(7, 18), "B": pct(4, 20), "M": pct(11, 38)}
GAP2 = {"A": pct(3, 22), "B": pct(1, 10), "M": pct(4, 32)}
QUALIFIED = {"A": pct(6, 10), "B": pct(10, 10), "M": pct(16, 20)}


def leaders_index(place: str) -> float:
    """Weights: ВПР успеваемость 2, the other six 1 (total 8); single-school components (ОГЭ,
    ВсОШ муниципальный этап) normalise to 0.5."""
    lo_hi = {
        "success": (VPR_SUCCESS["A"], VPR_SUCCESS["B"]),
        "share5": (VPR_SHARE5["A"], VPR_SHARE5["B"]),
        "below": (EGE_BELOW["B"], EGE_BELOW["A"]),
        "gap2": (GAP2["B"], GAP2["A"]),
        "qualified": (QUALIFIED["A"], QUALIFIED["B"]),
    }
    parts = {
        "success": (2, norm(VPR_SUCCESS[place], *lo_hi["success"])),
        "share5": (1, norm(VPR_SHARE5[place], *lo_hi["share5"])),
        "below": (1, norm(EGE_BELOW[place], *lo_hi["below"], lower_better=True)),
        "gap2": (1, norm(GAP2[place], *lo_hi["gap2"], lower_better=True)),
        "qualified": (1, norm(QUALIFIED[place], *lo_hi["qualified"])),
    }
    if place != "B":  # B has no ОГЭ and no municipal-stage entries
        parts["oge"] = (1, 0.5)
        parts["winners"] = (1, 0.5)
    weight = sum(w for w, _ in parts.values())
    return 100 * sum(w * v for w, v in parts.values()) / weight


def summary_index(place: str) -> float:
    parts = {
        "quality": norm(VPR_QUALITY[place], VPR_QUALITY["A"], VPR_QUALITY["B"]),
        "share2": norm(VPR_SHARE2[place], VPR_SHARE2["B"], VPR_SHARE2["A"], lower_better=True),
        "ege_high": norm(EGE_HIGH[place], EGE_HIGH["B"], EGE_HIGH["A"]),
        "ege_below": norm(EGE_BELOW[place], EGE_BELOW["B"], EGE_BELOW["A"], lower_better=True),
    }
    if place != "B":
        parts["oge_quality"] = 0.5
        parts["oge_share2"] = 0.5
    return 100 * sum(parts.values()) / len(parts)


# code → {(place, breakdown key): expected}
EXPECTED: dict[str, dict[tuple[str, str], Any]] = {
    "results.noo_basic_level": {
        ("A", ""): pct(15, 22),
        ("M", ""): pct(15, 22),
        ("R", ""): pct(15, 22),
        ("A", "subject=МА"): pct(8, 12),
        ("A", "subject=РУ"): pct(7, 10),
        ("B", ""): None,
    },
    "results.ooo_metasubject_high": {("B", ""): pct(4, 10), ("M", ""): pct(4, 10), ("A", ""): None},
    "results.ooo_high_tasks_success": {
        ("B", ""): pct(7, 10),
        ("M", ""): pct(7, 10),
        ("B", "subject=РУ;grade=5"): pct(7, 10),
        ("A", ""): None,
    },
    "results.soo_certificate": {("A", ""): pct(8, 10), ("M", ""): pct(8, 10)},
    "results.fg_coverage": {
        ("A", ""): pct(10, 50),
        ("B", ""): 0.0,
        ("M", ""): pct(10, 75),
        ("R", ""): pct(10, 75),
    },
    "results.fg_reading_success": {("A", ""): pct(7, 10), ("M", ""): pct(7, 10)},
    "results.vpr_share2": {
        ("A", ""): VPR_SHARE2["A"],
        ("B", ""): VPR_SHARE2["B"],
        ("M", ""): VPR_SHARE2["M"],
        ("R", ""): VPR_SHARE2["M"],
        ("A", "subject=МА;grade=4"): pct(4, 12),
        ("A", "subject=РУ;grade=4"): pct(3, 10),
        ("B", "subject=РУ;grade=5"): pct(1, 10),
        ("M", "subject=РУ;grade=4"): pct(3, 10),
    },
    "results.vpr_share3": {("A", ""): pct(5, 22), ("B", ""): pct(2, 10), ("M", ""): pct(7, 32)},
    "results.vpr_share4": {("A", ""): pct(5, 22), ("B", ""): pct(3, 10), ("M", ""): pct(8, 32)},
    "results.vpr_share5": {
        ("A", ""): VPR_SHARE5["A"],
        ("B", ""): VPR_SHARE5["B"],
        ("M", ""): VPR_SHARE5["M"],
    },
    "results.vpr_quality": {
        ("A", ""): VPR_QUALITY["A"],
        ("B", ""): VPR_QUALITY["B"],
        ("M", ""): VPR_QUALITY["M"],
    },
    "results.vpr_success": {
        ("A", ""): VPR_SUCCESS["A"],
        ("B", ""): VPR_SUCCESS["B"],
        ("M", ""): VPR_SUCCESS["M"],
    },
    "results.vpr_mean_primary": {
        ("A", "subject=МА;grade=4"): 133 / 12,
        ("A", "subject=РУ;grade=4"): 120 / 10,
        ("B", "subject=РУ;grade=5"): 140 / 10,
        ("M", "subject=РУ;grade=4"): 12.0,
        ("A", ""): None,
        ("M", ""): None,
    },
    "results.vpr_mean_percent": {
        ("A", ""): pct(253 / 20, 22),
        ("B", ""): pct(140 / 20, 10),
        ("M", ""): pct(393 / 20, 32),
    },
    "results.oge_share2": {
        ("A", ""): pct(1, 23),
        ("M", ""): pct(1, 23),
        ("A", "subject=МА"): pct(1, 10),
    },
    "results.oge_share3": {("A", ""): pct(4, 23)},
    "results.oge_share4": {("A", ""): pct(13, 23)},
    "results.oge_share5": {("A", ""): pct(5, 23)},
    "results.oge_quality": {("A", ""): OGE_QUALITY_A, ("M", ""): OGE_QUALITY_A},
    "results.oge_success": {("A", ""): pct(22, 23)},
    "results.oge_mean_primary": {
        ("A", "subject=МА"): 16.0,
        ("A", "subject=РУ"): 30.0,
        ("A", "subject=ФИ"): HIDDEN,
        ("A", ""): None,
    },
    "results.oge_mean_percent": {
        ("A", ""): pct(160 / 31 + 300 / 37 + 98 / 45, 23),
        ("A", "subject=МА"): pct(160 / 31, 10),
    },
    "results.ege_below_min": {
        ("A", ""): EGE_BELOW["A"],
        ("B", ""): EGE_BELOW["B"],
        ("M", ""): EGE_BELOW["M"],
        ("A", "subject=РУ"): pct(1, 10),
        ("M", "subject=РУ"): pct(3, 30),
    },
    "results.ege_high_80_99": {("A", ""): pct(5, 18), ("B", ""): pct(4, 20), ("M", ""): pct(9, 38)},
    "results.ege_score_100": {("A", ""): pct(2, 18), ("B", ""): None, ("M", ""): pct(2, 18)},
    "results.ege_score_100_count": {("A", ""): 2.0, ("B", ""): HIDDEN, ("M", ""): 2.0},
    "results.ege_high": {
        ("A", ""): EGE_HIGH["A"],
        ("B", ""): EGE_HIGH["B"],
        ("M", ""): EGE_HIGH["M"],
    },
    "results.ege_mean_score": {
        ("A", "subject=РУ"): 657 / 10,
        ("A", "subject=МАП"): HIDDEN,
        ("A", "subject=ФИ"): HIDDEN,
        ("A", ""): None,
    },
    "results.journal_success": {("A", ""): pct(11, 12), ("B", ""): 100.0, ("M", ""): pct(21, 22)},
    "results.journal_quality": {("A", ""): pct(7, 12), ("B", ""): 100.0, ("M", ""): pct(17, 22)},
    "results.summary_index": {
        ("A", ""): summary_index("A"),
        ("B", ""): summary_index("B"),
        ("M", ""): summary_index("M"),
    },
    "low_results.vpr_30pct_schools_share": {
        ("A", ""): 100.0,
        ("B", ""): 0.0,
        ("M", ""): pct(1, 2),
        ("R", ""): pct(1, 2),
    },
    "low_results.shnor_vpr_share2": {("A", ""): pct(7, 22), ("B", ""): None, ("M", ""): pct(7, 22)},
    "talents.vsosh_participants_school": {("A", ""): 8.0, ("B", ""): 10.0, ("M", ""): 18.0},
    "talents.vsosh_participants_municipal": {("A", ""): 6.0, ("B", ""): 0.0, ("M", ""): 6.0},
    "talents.vsosh_participants_regional": {("A", ""): 2.0, ("B", ""): 0.0, ("M", ""): 2.0},
    "talents.vsosh_winners_share_school": {
        ("A", ""): pct(5, 12),
        ("B", ""): pct(1, 10),
        ("M", ""): pct(6, 22),
    },
    "talents.vsosh_winners_share_municipal": {
        ("A", ""): pct(3, 10),
        ("B", ""): None,
        ("M", ""): pct(3, 10),
    },
    "talents.vsosh_winners_share_regional": {("A", ""): HIDDEN, ("M", ""): HIDDEN},
    "talents.vsosh_school_coverage": {
        ("A", ""): pct(8, 40),
        ("B", ""): pct(10, 25),
        ("M", ""): pct(18, 65),
    },
    "career.ege_stem_choice_share": {("A", ""): pct(6, 10), ("M", ""): pct(6, 10)},
    "career.oge_stem_choice_share": {("A", ""): pct(3, 10), ("M", ""): pct(3, 10)},
    "objectivity.official_list_share": {("A", ""): 100.0, ("B", ""): 0.0, ("M", ""): pct(1, 2)},
    "objectivity.observed_orgs_share": {("A", ""): 100.0, ("B", ""): 0.0, ("M", ""): pct(1, 2)},
    "objectivity.observed_olympiad_orgs_share": {
        ("A", ""): 0.0,
        ("B", ""): 100.0,
        ("M", ""): pct(1, 2),
    },
    "objectivity.observed_works_share": {
        ("A", ""): pct(1, 2),
        ("B", ""): 0.0,
        ("M", ""): pct(1, 3),
    },
    "objectivity.vpr_journal_confirmed": {
        ("A", ""): pct(16, 22),
        ("B", ""): pct(8, 10),
        ("M", ""): pct(24, 32),
        ("A", "subject=МА;grade=4"): pct(8, 12),
    },
    "objectivity.vpr_journal_lowered": {
        ("A", ""): pct(4, 22),
        ("B", ""): pct(1, 10),
        ("M", ""): pct(5, 32),
    },
    "objectivity.vpr_journal_raised": {
        ("A", ""): pct(2, 22),
        ("B", ""): pct(1, 10),
        ("M", ""): pct(3, 32),
    },
    "objectivity.vpr_journal_gap2": {
        ("A", ""): GAP2["A"],
        ("B", ""): GAP2["B"],
        ("M", ""): GAP2["M"],
    },
    "objectivity.medal_unconfirmed": {("A", ""): pct(5, 10), ("M", ""): pct(5, 10)},
    "leaders.effectiveness_index": {
        ("A", ""): leaders_index("A"),
        ("B", ""): leaders_index("B"),
        ("M", ""): leaders_index("M"),
        ("R", ""): leaders_index("M"),
    },
    "leaders.ovz_students_share": {("A", ""): pct(12, 50), ("B", ""): 0.0, ("M", ""): pct(12, 75)},
    "teachers.qualification_share": {
        ("A", ""): QUALIFIED["A"],
        ("B", ""): QUALIFIED["B"],
        ("M", ""): QUALIFIED["M"],
    },
    "teachers.young_share": {("A", ""): pct(3, 10), ("B", ""): 0.0, ("M", ""): pct(3, 20)},
    "teachers.staff_vacancies": {("A", ""): 3.0, ("B", ""): 1.0, ("M", ""): 4.0},
    "upbringing.kdn_pdn_registry_share": {
        ("A", ""): pct(2, 50),
        ("B", ""): 0.0,
        ("M", ""): pct(2, 75),
    },
}

_cache: dict[str, Any] = {}


def computed(personas: Any) -> dict[tuple[str, str, str], Any]:
    """Build the fixture and compute 2026 once per test process; (code, place, key) → value."""
    if "values" not in _cache:
        with fixture.fake_flags():
            fixture.build(personas)
            summary = indicators_compute(years=[fixture.YEAR])
        places = {
            personas.school_a.pk: "A",
            personas.school_b.pk: "B",
            personas.school_far.pk: "F",
        }
        territories = {
            personas.municipality.pk: "M",
            personas.region.pk: "R",
            personas.other_municipality.pk: "O",
        }
        values: dict[tuple[str, str, str], Any] = {}
        rows: dict[tuple[str, str, str], Any] = {}
        for v in IndicatorValue.objects.filter(year=fixture.YEAR).select_related("indicator"):
            place = places[v.organization_id] if v.organization_id else territories[v.territory_id]
            key = (v.indicator.code, place, v.breakdown_key)
            values[key] = HIDDEN if v.suppressed else v.value
            rows[key] = v
        _cache.update(values=values, rows=rows, summary=summary)
    return _cache


def test_every_builtin_indicator_of_the_area_has_expected_values() -> None:
    codes = {item["code"] for item in yaml.safe_load(AREA_YAML.read_text(encoding="utf-8"))}
    assert codes == set(EXPECTED), "add the hand-computed values of new indicators here"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_builtin_indicator_value_by_hand(personas: Any, code: str) -> None:
    data = computed(personas)
    assert code not in data["summary"]["problems"]
    for (place, key), expected in EXPECTED[code].items():
        got = data["values"].get((code, place, key))
        where = f"{code} @ {place} [{key or 'всё'}]"
        if expected is None:
            assert got is None, f"{where}: ожидалось отсутствие значения, получено {got}"
        elif expected == HIDDEN:
            assert got == HIDDEN, f"{where}: группа должна быть скрыта, получено {got}"
        else:
            assert got not in (None, HIDDEN), f"{where}: нет значения"
            assert got == pytest.approx(expected, abs=1e-6), where


def test_dynamics_of_share2_is_a_change_without_significance(personas: Any) -> None:
    """School A: 6 of 12 «2» in 2025, 7 of 22 in 2026 — a fall of 18.2 points, but the
    two-proportion test (z ≈ −1.04, p ≈ 0.30) does not call it significant."""
    row = computed(personas)["rows"][("results.vpr_share2", "A", "")]
    assert row.previous_value == pytest.approx(50.0)
    assert row.change == pytest.approx(pct(7, 22) - 50.0)
    assert row.change_significant is False
    assert row.p_value == pytest.approx(0.297, abs=0.002)


def test_composite_keeps_each_component_contribution(personas: Any) -> None:
    row = computed(personas)["rows"][("leaders.effectiveness_index", "B", "")]
    parts = {c["indicator"]: c for c in row.detail["components"]}
    assert set(row.detail["missing"]) == {
        "results.oge_quality",
        "talents.vsosh_winners_share_municipal",
    }
    assert parts["results.vpr_success"]["contribution"] == pytest.approx(100 * 2 / 6, abs=1e-3)
    assert sum(c["contribution"] for c in parts.values()) == pytest.approx(row.value, abs=1e-2)
