"""Each objectivity marker on a planted anomaly and on a clean twin it must not flag; groups
below the minimum size never fire on their own."""

from __future__ import annotations

import numpy as np
import pytest

from soko.risks.markers import (
    MarkerParams,
    Medallist,
    SwingSeries,
    m1_high,
    m2_inversion,
    m3_journal,
    m4_bunching,
    m5_swing,
    m6_misfit,
    m8_external,
    medals_check,
)
from soko.risks.stats import eb_shrink
from tests.risks import synth

pytestmark = pytest.mark.core
P = MarkerParams()
N = 20  # schools in the simulated region; the suspect one is the last


def region_effects(seed: int = 5) -> list[float]:
    return list(np.random.default_rng(seed).normal(0.0, 0.25, N))


def run_m1(effect: float, size: int, *, explained: bool = False, gia: float = 0.2):
    effects = region_effects()
    effects[-1] = effect
    sizes = [40] * (N - 1) + [size]
    agg = synth.aggregates(synth.simulate(effects, sizes), N)
    shr = eb_shrink(agg.sum_pct, agg.sum_pct2, agg.n)
    gia_pct = np.full(N, 0.5)
    gia_pct[-1] = gia
    expl = np.zeros(N, dtype=bool)
    expl[-1] = explained
    return m1_high(agg, shr, explained=expl, gia_percentile=gia_pct,
                   gia_n=np.full(N, 30), params=P)


def test_m1_planted_high_unconfirmed_school() -> None:
    res = run_m1(1.8, 40)
    assert res[-1].fired and res[-1].statistic > P.m1_z_min
    assert not any(r.fired for r in res[:-1])


def test_m1_clean_twins() -> None:
    assert not run_m1(0.1, 40)[-1].fired  # an ordinary school
    assert not run_m1(1.8, 40, explained=True)[-1].fired  # in-depth study of the subject
    assert not run_m1(1.8, 40, gia=0.9)[-1].fired  # confirmed by its ГИА


def test_m1_small_school_never_fires() -> None:
    r = run_m1(3.0, 8)[-1]
    assert not r.evaluable and not r.fired


def inverted(p: synth.Pupils, school: int, seed: int = 2) -> synth.Pupils:
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(p.org == school)
    scores = p.scores.copy()
    basic = np.array([lvl == "Б" for lvl in synth.LEVELS])
    for r in rows:
        zero = basic & (rng.random(basic.size) < 0.5)
        scores[r, zero] = 0
        gift = ~basic & (rng.random(basic.size) < 0.6)
        scores[r, gift] = synth.TASK_MAX[gift]
    return synth.Pupils(p.org, p.cls, scores, p.journal)


def test_m2_difficulty_inversion_and_twins() -> None:
    effects = region_effects()
    p = synth.simulate(effects, [40] * N)
    planted = synth.aggregates(inverted(p, N - 1), N)
    res = m2_inversion(planted, synth.spec(), P)
    assert res[-1].fired
    assert res[-1].details["hard_diff_pp"] >= 10 and res[-1].details["basic_diff_pp"] <= 0
    assert not any(r.fired for r in res[:-1])
    # clean twin: a strong school is better on every task, not inverted
    effects[-1] = 1.0
    clean = m2_inversion(synth.aggregates(synth.simulate(effects, [40] * N), N), synth.spec(), P)
    assert not clean[-1].fired


def test_m2_small_group_never_fires() -> None:
    p = synth.simulate(region_effects(), [40] * (N - 1) + [12])
    res = m2_inversion(synth.aggregates(inverted(p, N - 1), N), synth.spec(), P)
    assert not res[-1].evaluable and not res[-1].fired


def test_m3_journal_inflation_and_twin() -> None:
    effects = region_effects()
    sizes = [50] * (N - 1) + [60]
    planted = synth.aggregates(synth.simulate(effects, sizes, journal_shift={N - 1: 1.2}), N)
    res = m3_journal(planted, P)
    assert res[-1].fired and "lower" in res[-1].details["reasons"]
    assert not any(r.fired for r in res[:-1])
    clean = m3_journal(synth.aggregates(synth.simulate(effects, sizes), N), P)
    assert not clean[-1].fired


def test_m3_small_group_never_fires() -> None:
    sizes = [50] * (N - 1) + [8]
    res = m3_journal(
        synth.aggregates(synth.simulate(region_effects(), sizes, journal_shift={N - 1: 3.0}), N),
        P,
    )
    assert not res[-1].evaluable and not res[-1].fired


def bunched(p: synth.Pupils, school: int) -> synth.Pupils:
    scores = p.scores.copy()
    for r in np.flatnonzero(p.org == school):
        total = scores[r].sum()
        for b in synth.BOUNDS:
            if b - 2 <= total < b:
                need = b - total
                for j in range(scores.shape[1]):
                    room = synth.TASK_MAX[j] - scores[r, j]
                    add = min(room, need)
                    scores[r, j] += add
                    need -= add
                    if need <= 0:
                        break
                break
    return synth.Pupils(p.org, p.cls, scores, p.journal)


def test_m4_bunching_and_twin() -> None:
    p = synth.simulate(region_effects(), [80] * N)
    res = m4_bunching(synth.aggregates(bunched(p, N - 1), N), synth.spec(), P)
    assert res[-1].fired and res[-1].details["missing_share"] >= 0.5
    clean = m4_bunching(synth.aggregates(p, N), synth.spec(), P)
    assert not any(r.fired for r in clean)


def test_m4_below_minimum_n_never_fires() -> None:
    p = synth.simulate(region_effects(), [80] * (N - 1) + [15])
    res = m4_bunching(synth.aggregates(bunched(p, N - 1), N), synth.spec(), P)
    assert not res[-1].evaluable and not res[-1].fired


def series(last: SwingSeries) -> list[SwingSeries]:
    rng = np.random.default_rng(4)
    out = []
    for i in range(N - 1):
        z = rng.normal(0, 0.3, 3)
        m = 0.6 + 0.05 * z
        out.append(SwingSeries(i, 50, *z, *m, 0.02, 0.02, 0.02))
    return [*out, last]


def test_m5_swing_and_twin() -> None:
    swing = SwingSeries(99, 50, 0.0, 2.2, 0.1, 0.60, 0.75, 0.61, 0.02, 0.02, 0.02)
    res = m5_swing(series(swing), P)
    assert res[99].fired and res[99].statistic >= P.m5_score_min
    assert not any(r.fired for k, r in res.items() if k != 99)
    steady = SwingSeries(99, 50, 0.0, 2.2, 2.3, 0.60, 0.75, 0.76, 0.02, 0.02, 0.02)
    assert not m5_swing(series(steady), P)[99].fired  # a lasting improvement is no swing


def test_m5_small_group_never_fires() -> None:
    swing = SwingSeries(99, 6, 0.0, 3.0, 0.0, 0.5, 0.9, 0.5, 0.01, 0.01, 0.01)
    r = m5_swing(series(swing), P)[99]
    assert not r.evaluable and not r.fired


def misfit_class(p: synth.Pupils, school: int, label: str, share: float) -> synth.Pupils:
    rng = np.random.default_rng(8)
    scores = p.scores.copy()
    basic = np.array([lvl == "Б" for lvl in synth.LEVELS])
    for r in np.flatnonzero((p.org == school) & (np.array(p.cls) == label)):
        if rng.random() < share:
            scores[r, basic & (rng.random(basic.size) < 0.7)] = 0
            hard = ~basic & (rng.random(basic.size) < 0.7)
            scores[r, hard] = synth.TASK_MAX[hard]
    return synth.Pupils(p.org, p.cls, scores, p.journal)


def test_m6_misfit_class_and_twin() -> None:
    p = synth.simulate(region_effects(), [60] * N)
    planted = misfit_class(p, N - 1, "5А", 0.7)
    res = m6_misfit(planted.org, planted.cls, planted.scores, synth.spec(), P)
    assert res[N - 1].fired
    fired = [c["class_label"] for c in res[N - 1].details["classes"] if c["fired"]]
    assert fired == ["5А"]
    assert not any(r.fired for o, r in res.items() if o != N - 1)
    clean = m6_misfit(p.org, p.cls, p.scores, synth.spec(), P)
    assert not any(r.fired for r in clean.values())


def test_m6_small_class_never_fires() -> None:
    p = synth.simulate(region_effects(), [60] * (N - 1) + [16])  # two classes of 8
    planted = misfit_class(p, N - 1, "5А", 1.0)
    r = m6_misfit(planted.org, planted.cls, planted.scores, synth.spec(), P)[N - 1]
    assert not r.fired and r.details["classes"] == []


def test_m8_external_confirmation() -> None:
    agg = synth.aggregates(synth.simulate(region_effects(), [40] * N), N)
    vpr = np.linspace(0.05, 1.0, N)
    gia = vpr.copy()
    gia[-1] = 0.2
    res = m8_external(agg, vpr, gia_percentile=gia, gia_n=np.full(N, 30), params=P)
    assert res[-1].fired
    assert not any(r.fired for r in res[:-1])
    gia[-1] = 0.9
    assert not m8_external(agg, vpr, gia_percentile=gia, gia_n=np.full(N, 30),
                           params=P)[-1].fired
    small = np.full(N, 30)
    small[-1] = 5
    gia[-1] = 0.1
    r = m8_external(agg, vpr, gia_percentile=gia, gia_n=small, params=P)[-1]
    assert not r.evaluable and not r.fired


def test_m8_medals_not_confirmed_by_ege() -> None:
    res = medals_check(
        [
            Medallist(1, "901", "I степени", 62.0, (), 3),
            Medallist(1, "902", "I степени", 88.0, (), 3),
            Medallist(2, "903", "II степени", 91.0, (), 2),
            Medallist(2, "904", "I степени", 80.0, ("ЕГЭ «МАП»: 20 < 27",), 2),
            Medallist(3, "905", "I степени", None, (), 0),
        ],
        P,
    )
    assert res[1].fired and [u["student_code"] for u in res[1].details["unconfirmed"]] == ["901"]
    assert res[2].fired and res[2].details["unconfirmed"][0]["reasons"] == ["ЕГЭ «МАП»: 20 < 27"]
    assert not res[3].fired and res[3].details["without_ege"] == 1
    clean = medals_check([Medallist(4, "906", "I степени", 75.0, (), 3)], P)
    assert not clean[4].fired
