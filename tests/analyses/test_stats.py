"""Pure statistics of the analyses, computed by hand (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from soko.analyses import stats as st

pytestmark = pytest.mark.core

TH = st.MasteryThresholds()  # ФИОКО 2026: basic 0.60 / 0.57, advanced 0.30 / 0.285


@pytest.mark.parametrize(
    ("completion", "level", "expected"),
    [
        (0.60, "Б", st.SUFFICIENT),  # the edge belongs to «достаточный»
        (0.5999, "Б", st.ZONE),
        (0.57, "Б", st.ZONE),  # the lower edge of the zone is in the zone
        (0.5699, "Б", st.INSUFFICIENT),
        (0.30, "П", st.SUFFICIENT),
        (0.2999, "В", st.ZONE),
        (0.285, "П", st.ZONE),
        (0.2849, "П", st.INSUFFICIENT),
        (0.58, "", st.ZONE),  # no level: judged as basic
        (None, "Б", None),
    ],
)
def test_mastery_classes_at_the_zone_edges(
    completion: float | None, level: str, expected: str | None
) -> None:
    assert st.mastery_status(completion, level, TH) == expected


def test_a_completion_computed_from_counts_hits_the_edge_exactly() -> None:
    # 18 points of 30 possible (10 pupils × 3) = 0.6 exactly
    assert st.mastery_status(18 / (10 * 3), "Б", TH) == st.SUFFICIENT
    assert st.mastery_status(57 / 100, "Б", TH) == st.ZONE


@pytest.mark.parametrize(
    ("n", "expected"), [(50, "informative"), (49, "approximate"), (20, "approximate"),
                        (19, "limited"), (0, "limited")]
)
def test_histogram_reliability_follows_the_fioko_sample_rules(n: int, expected: str) -> None:
    assert st.histogram_reliability(n, 20, 50) == expected


def _tasks() -> list[st.TaskInfo]:
    return [
        st.TaskInfo(1, "1", 2, "Б", "Орфография"),
        st.TaskInfo(2, "2", 1, "Б", ""),
        st.TaskInfo(3, "3", 1, "П", "Орфография"),
        st.TaskInfo(4, "4", 3, "В", "Текст"),
    ]


def test_tasks_are_grouped_by_skill_and_tasks_without_a_skill_stand_alone() -> None:
    groups = st.skill_groups(_tasks())
    assert [(g.title, g.positions, g.max_total, g.from_tasks) for g in groups] == [
        ("Орфография", (1, 3), 3.0, False),
        ("Задание 2", (2,), 1.0, True),
        ("Текст", (4,), 3.0, False),
    ]


def test_a_mixed_skill_threshold_is_weighted_by_maximum_scores() -> None:
    tasks = _tasks()
    high, low = st.skill_thresholds([tasks[0], tasks[2]], TH)
    assert high == pytest.approx((0.60 * 2 + 0.30 * 1) / 3)  # 0.5
    assert low == pytest.approx((0.57 * 2 + 0.285 * 1) / 3)  # 0.475


def test_a_skill_is_systemic_when_most_of_its_tasks_are_red() -> None:
    red, amber, green = st.INSUFFICIENT, st.ZONE, st.SUFFICIENT
    assert st.is_systemic([red, red, green], 0.5)
    assert not st.is_systemic([red, amber, green], 0.5)
    assert not st.is_systemic([red, green], 0.5)  # a half is not «most»
    assert not st.is_systemic([red], 0.5)  # one task is not a skill profile


def test_moments_give_mean_and_unbiased_variance() -> None:
    values = [0.2, 0.4, 0.9]
    m = st.Moments(3, sum(values), sum(v * v for v in values))
    assert m.mean == pytest.approx(0.5)
    assert m.var == pytest.approx(np.var(values, ddof=1))
    rest = st.Moments(5, 3.0, 2.2).minus(m)
    assert (rest.n, rest.total) == (2, pytest.approx(1.5))


def test_the_welch_test_matches_scipy() -> None:
    from scipy import stats as sps

    a = [0.1, 0.2, 0.15, 0.3, 0.05, 0.2]
    b = [0.5, 0.6, 0.55, 0.4, 0.7, 0.65, 0.5]

    def moments(xs: list[float]) -> st.Moments:
        return st.Moments(len(xs), sum(xs), sum(x * x for x in xs))

    expected = sps.ttest_ind(a, b, equal_var=False, alternative="less").pvalue
    assert st.welch_less(moments(a), moments(b)) == pytest.approx(expected)
    assert st.welch_less(moments(b), moments(a)) == pytest.approx(1 - expected)


def _group(values: list[float]) -> st.Moments:
    return st.Moments(len(values), sum(values), sum(v * v for v in values))


def test_a_planted_skill_deficit_is_found_and_its_clean_twin_is_not() -> None:
    rng = np.random.default_rng(7)
    municipality = list(np.clip(rng.normal(0.70, 0.2, 300), 0, 1))
    planted = list(np.clip(rng.normal(0.20, 0.15, 20), 0, 1))
    twin = list(np.clip(rng.normal(0.68, 0.2, 20), 0, 1))
    rule = st.DeficitRule(margin=0.15, specific_margin=0.10, fdr=0.01, min_n=10)
    # residuals: the planted class lags on this skill beyond its general level
    resid_ref = list(rng.normal(0.0, 0.15, 300))
    planted_resid = list(rng.normal(-0.35, 0.15, 20))
    twin_resid = list(rng.normal(0.0, 0.15, 20))
    found = st.deficit_decision(
        _group(planted), _group(municipality + planted), 0.6, rule,
        _group(planted_resid), _group(resid_ref + planted_resid),
    )
    assert found.found and found.reason == "deficit"
    assert found.completion < 0.3 and found.p_value < 1e-6
    clean = st.deficit_decision(
        _group(twin), _group(municipality + twin), 0.6, rule,
        _group(twin_resid), _group(resid_ref + twin_resid),
    )
    assert not clean.found and clean.reason == "above_threshold"


def test_a_class_that_lags_on_the_whole_work_is_not_a_skill_deficit() -> None:
    rng = np.random.default_rng(3)
    weak = list(np.clip(rng.normal(0.25, 0.1, 20), 0, 1))
    municipality = list(np.clip(rng.normal(0.70, 0.2, 300), 0, 1))
    resid_ref = list(rng.normal(0.0, 0.15, 300))
    weak_resid = list(rng.normal(0.0, 0.15, 20))  # no skill-specific lag
    decision = st.deficit_decision(
        _group(weak), _group(municipality + weak), 0.6, st.DeficitRule(),
        _group(weak_resid), _group(resid_ref + weak_resid),
    )
    assert not decision.found and decision.reason == "general_lag"


def test_a_group_under_the_minimum_size_never_produces_a_deficit() -> None:
    tiny = [0.0] * 9
    municipality = [0.8] * 200
    decision = st.deficit_decision(
        _group(tiny), _group(municipality + tiny), 0.6, st.DeficitRule(min_n=10)
    )
    assert not decision.found and decision.reason == "small_group"


def test_benjamini_hochberg_cut_off() -> None:
    # m = 5, q = 0.05: thresholds 0.01, 0.02, 0.03, 0.04, 0.05
    assert st.bh_cutoff([0.001, 0.015, 0.2, 0.029, 0.9], 0.05) == pytest.approx(0.029)
    assert st.bh_cutoff([0.5, 0.6], 0.05) == 0.0
    assert st.bh_cutoff([], 0.05) == 0.0


def test_shrunk_positions_by_hand() -> None:
    # three schools, pupils' shares: A = [0.8, 0.9] B = [0.4, 0.5] C = [0.6, 0.6, 0.6, 0.6]
    groups = [[0.8, 0.9], [0.4, 0.5], [0.6, 0.6, 0.6, 0.6]]
    n = [len(g) for g in groups]
    total = [sum(g) for g in groups]
    sq = [sum(x * x for x in g) for g in groups]
    pos = st.shrunk_positions(n, total, sq)
    grand = sum(total) / sum(n)  # 5.0 / 8 = 0.625
    assert pos.grand == pytest.approx(grand)
    sigma2 = (0.005 + 0.005 + 0.0) / (1 + 1 + 3)  # pooled within-school variance = 0.002
    means = np.array([0.85, 0.45, 0.6])
    tau2 = np.var(means, ddof=1) - np.mean(sigma2 / np.array(n))
    lam = tau2 / (tau2 + sigma2 / np.array(n))
    assert pos.tau == pytest.approx(math.sqrt(tau2))
    assert list(pos.reliability) == pytest.approx(list(lam))
    assert list(pos.z) == pytest.approx(list(lam * (means - grand) / math.sqrt(tau2)))
    assert pos.z[0] > 0 > pos.z[1]


def test_positions_without_a_between_school_spread_are_all_average() -> None:
    pos = st.shrunk_positions([10, 10], [5.0, 5.0], [2.6, 2.6])
    assert list(pos.z) == [0.0, 0.0]


def test_agreement_of_positions() -> None:
    agree = st.agreement_of({"ВПР": 0.4, "ОГЭ": 0.1, "ЕГЭ": -0.3}, 1.0, 0.5)
    assert agree.agrees is True and agree.gap == pytest.approx(0.7)
    split = st.agreement_of({"ВПР": 1.6, "ОГЭ": 0.2}, 1.0, 0.5)
    assert split.agrees is False and "расхождение 1.40 SD" in split.text
    assert "ВПР: выше среднего" in split.text
    both_low = st.agreement_of({"ВПР": -2.6, "ОГЭ": -1.3}, 1.0, 0.5)
    assert both_low.agrees is True  # far apart, but both below average
    single = st.agreement_of({"ВПР": 0.3, "ОГЭ": None}, 1.0, 0.5)
    assert single.agrees is None and single.gap is None


def test_share_two_dynamics() -> None:
    rising = st.share_trend([(2022, 0.10), (2023, 0.12), (2024, 0.21)], 10)
    assert rising.change_pp == pytest.approx(11.0) and rising.negative
    flat = st.share_trend([(2023, 0.10), (2024, 0.19)], 10)
    assert flat.change_pp == pytest.approx(9.0) and not flat.negative
    window = st.share_trend([(2018, 0.5), (2020, 0.1), (2024, 0.1)], 10)
    assert window.years == [2020, 2024]  # five years ending at 2024
    assert st.share_trend([(2024, 0.3)], 10).change_pp is None


def test_kmeans_finds_two_planted_groups_and_describes_them() -> None:
    rng = np.random.default_rng(11)
    high = rng.normal([1.2, 1.0, 1.1], 0.15, size=(8, 3))
    low = rng.normal([-1.1, -0.9, -1.0], 0.15, size=(7, 3))
    x = np.vstack([high, low])
    result = st.choose_kmeans(x, ["ВПР", "ОГЭ", "ЕГЭ"], k_max=5)
    assert result is not None and result.k == 2
    assert result.labels == [0] * 8 + [1] * 7  # the higher cluster is numbered first
    assert result.silhouettes[2] == max(result.silhouettes.values())
    centroid = dict(zip(result.features, result.centroids[0], strict=True))
    assert st.describe_profile(centroid, 0.5) == "Высокие результаты ВПР, ОГЭ и ЕГЭ."


def test_profile_descriptions_in_words() -> None:
    assert (
        st.describe_profile({"ВПР": 0.9, "ОГЭ": 0.1, "ЕГЭ": -0.7}, 0.5)
        == "Высокие результаты ВПР при средних ОГЭ и низких ЕГЭ."
    )
    assert (
        st.describe_profile({"ВПР": -0.8, "ОГЭ": None}, 0.5)
        == "Низкие результаты ВПР; ОГЭ — нет данных у большинства ОО."
    )


def test_too_few_rows_give_no_clusters() -> None:
    assert st.choose_kmeans(np.zeros((3, 2)), ["ВПР", "ОГЭ"]) is None
