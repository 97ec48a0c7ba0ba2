"""Analysis of the effectiveness of a measure: difference in differences on organization × year
values of an indicator. Pure statistics, no Django.

The design is the one Bertrand, Duflo and Mullainathan (2004, QJE 119(1)) recommend for few
periods and serially correlated outcomes: collapse each organization's years into one «before»
and one «after» mean and work with the change ``d_i = after_i − before_i`` of every organization
that has values in both periods. The effect estimate is

    DiD = mean(d_i, targeted organizations) − mean(d_i, comparison organizations),

which equals the coefficient of ``treated × post`` in the two-way panel regression when the panel
is balanced. Its confidence interval comes from the OLS regression ``d_i ~ 1 + treated_i``
(statsmodels) with heteroskedasticity-robust HC2 errors — with one collapsed observation per
organization this is the organization-clustered error — and Student's t with the
Welch–Satterthwaite degrees of freedom, which keeps the interval honest when a group has only a
few schools. A percentile bootstrap over organizations (resampling each group separately) is
reported next to it as a robustness check. Organizations are the units: each counts once,
whatever its number of pupils.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
from scipy import stats

METHOD: Final = (
    "Разность разностей на данных, свёрнутых по организациям: для каждой ОО изменение = среднее "
    "значение после начала меры − среднее до; оценка = среднее изменение в целевых ОО − среднее "
    "изменение в группе сравнения. Доверительный интервал — МНК-регрессия изменений на признак "
    "целевой группы с устойчивыми ошибками HC2 и степенями свободы Уэлча–Саттертуэйта; "
    "бутстреп по организациям — проверка устойчивости."
)

OK: Final = "ok"
INSUFFICIENT: Final = "insufficient"


@dataclass(frozen=True)
class DidResult:
    """The outcome of :func:`diff_in_diff`. Means and changes are over organizations."""

    status: str  # OK | INSUFFICIENT
    n_treated: int
    n_control: int
    confidence: float
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    std_error: float | None = None
    df: float | None = None
    p_value: float | None = None
    bootstrap_low: float | None = None
    bootstrap_high: float | None = None
    treated_before: float | None = None
    treated_after: float | None = None
    control_before: float | None = None
    control_after: float | None = None
    excluded: list[int] = field(default_factory=list)  # organizations lacking a period

    @property
    def significant(self) -> bool:
        """True when the interval excludes zero."""
        return (
            self.ci_low is not None
            and self.ci_high is not None
            and (self.ci_low > 0 or self.ci_high < 0)
        )

    @property
    def treated_change(self) -> float | None:
        if self.treated_before is None or self.treated_after is None:
            return None
        return self.treated_after - self.treated_before

    @property
    def control_change(self) -> float | None:
        if self.control_before is None or self.control_after is None:
            return None
        return self.control_after - self.control_before

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["significant"] = self.significant
        data["treated_change"] = self.treated_change
        data["control_change"] = self.control_change
        return data


def _mean(values: Iterable[float]) -> float | None:
    items = [v for v in values if v is not None and math.isfinite(v)]
    return sum(items) / len(items) if items else None


def diff_in_diff(
    values: Mapping[int, Mapping[int, float | None]],
    treated: Iterable[int],
    before_years: Iterable[int],
    after_years: Iterable[int],
    *,
    confidence: float = 0.95,
    min_group: int = 2,
    bootstrap_reps: int = 2000,
    seed: int = 0,
) -> DidResult:
    """Estimate the effect of a measure with a confidence interval.

    ``values`` maps organization → year → indicator value (None or NaN = no value). ``treated``
    are the targeted organizations; every other organization with values in both periods is the
    comparison group. Returns ``status=INSUFFICIENT`` (no estimate) when either group has fewer
    than ``min_group`` organizations with values before and after (at least 2: a spread is
    needed for an interval).
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    targeted = set(treated)
    before, after = sorted(set(before_years)), sorted(set(after_years))
    changes_t: list[float] = []
    changes_c: list[float] = []
    levels: dict[str, list[float]] = {"tb": [], "ta": [], "cb": [], "ca": []}
    excluded: list[int] = []
    for org in sorted(values):
        years = values[org]
        b = _mean(v for y in before if (v := years.get(y)) is not None)
        a = _mean(v for y in after if (v := years.get(y)) is not None)
        if b is None or a is None:
            if org in targeted:
                excluded.append(org)
            continue
        if org in targeted:
            changes_t.append(a - b)
            levels["tb"].append(b)
            levels["ta"].append(a)
        else:
            changes_c.append(a - b)
            levels["cb"].append(b)
            levels["ca"].append(a)
    n_t, n_c = len(changes_t), len(changes_c)
    base = {
        "n_treated": n_t,
        "n_control": n_c,
        "confidence": confidence,
        "treated_before": _mean(levels["tb"]),
        "treated_after": _mean(levels["ta"]),
        "control_before": _mean(levels["cb"]),
        "control_after": _mean(levels["ca"]),
        "excluded": excluded,
    }
    if n_t < max(2, min_group) or n_c < max(2, min_group):
        return DidResult(status=INSUFFICIENT, **base)  # type: ignore[arg-type]
    d_t = np.asarray(changes_t, dtype=float)
    d_c = np.asarray(changes_c, dtype=float)
    estimate = float(d_t.mean() - d_c.mean())
    se, df = _robust_se(d_t, d_c)
    alpha = 1 - confidence
    if se > 1e-9 * max(1.0, abs(estimate)):
        crit = float(stats.t.ppf(1 - alpha / 2, df))
        low, high = estimate - crit * se, estimate + crit * se
        p_value = float(2 * stats.t.sf(abs(estimate) / se, df))
    else:  # every change identical: no sampling spread at all
        low = high = estimate
        p_value = 0.0 if estimate != 0 else 1.0
    b_low, b_high = _bootstrap(d_t, d_c, alpha, bootstrap_reps, seed)
    return DidResult(
        status=OK,
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        std_error=se,
        df=df,
        p_value=p_value,
        bootstrap_low=b_low,
        bootstrap_high=b_high,
        **base,  # type: ignore[arg-type]
    )


def _robust_se(d_t: np.ndarray, d_c: np.ndarray) -> tuple[float, float]:
    """HC2 standard error of the treated coefficient in ``d ~ 1 + treated`` (statsmodels) and
    the Welch–Satterthwaite degrees of freedom."""
    import statsmodels.api as sm

    y = np.concatenate([d_t, d_c])
    x = sm.add_constant(np.concatenate([np.ones(d_t.size), np.zeros(d_c.size)]))
    fit = sm.OLS(y, x).fit(cov_type="HC2")
    se = float(fit.bse[1])
    v_t = float(d_t.var(ddof=1)) / d_t.size
    v_c = float(d_c.var(ddof=1)) / d_c.size
    denominator = v_t**2 / (d_t.size - 1) + v_c**2 / (d_c.size - 1)
    df = (v_t + v_c) ** 2 / denominator if denominator > 0 else float(d_t.size + d_c.size - 2)
    return se, df


def _bootstrap(
    d_t: np.ndarray, d_c: np.ndarray, alpha: float, reps: int, seed: int
) -> tuple[float | None, float | None]:
    if reps <= 0:
        return None, None
    rng = np.random.default_rng(seed)
    t_idx = rng.integers(0, d_t.size, size=(reps, d_t.size))
    c_idx = rng.integers(0, d_c.size, size=(reps, d_c.size))
    draws = d_t[t_idx].mean(axis=1) - d_c[c_idx].mean(axis=1)
    low, high = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


# ----------------------------------------------------------------------------------------------
# Wording
# ----------------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1) -> str:
    """A number in Russian notation (decimal comma, minus sign); «—» for None."""
    if value is None:
        return "—"
    text = f"{value:.{digits}f}".replace(".", ",")
    return text.replace("-", "−")


def difference_unit(unit: str) -> str:
    """The unit of a difference: percentage points for a percentage."""
    return "п. п." if unit.strip() == "%" else (unit.strip() or "ед.")


def conclusion(
    result: DidResult,
    *,
    indicator: str,
    unit: str,
    polarity: str = "higher_better",
    min_group: int = 2,
) -> str:
    """Russian wording of the result that claims no more than the data show.

    * insufficient data → says what is missing;
    * interval containing zero → «разница не отличается от нуля статистически значимо»;
    * interval excluding zero → the size of the better (or worse) change with its interval,
      and the reminder that organizations were not chosen at random.
    """
    if result.status != OK or result.estimate is None:
        return (
            f"Недостаточно данных для оценки по показателю «{indicator}»: нужно не менее "
            f"{max(2, min_group)} ОО в целевой группе и в группе сравнения со значениями "
            f"показателя и до, и после начала меры (есть {result.n_treated} и "
            f"{result.n_control})."
        )
    du = difference_unit(unit)
    pct = round(result.confidence * 100)
    interval = f"{pct} % ДИ от {fmt(result.ci_low)} до {fmt(result.ci_high)} {du}"
    levels = (
        f"В целевых ОО ({result.n_treated}) показатель «{indicator}» изменился с "
        f"{fmt(result.treated_before)} до {fmt(result.treated_after)} {unit.strip()}, в группе "
        f"сравнения ({result.n_control} ОО) — с {fmt(result.control_before)} до "
        f"{fmt(result.control_after)} {unit.strip()}."
    )
    if not result.significant:
        return (
            f"{levels} Разница изменений {fmt(result.estimate)} {du} ({interval}) не отличается "
            "от нуля статистически значимо: данные не позволяют утверждать, что мера повлияла "
            "на показатель."
        )
    better = result.estimate > 0 if polarity != "lower_better" else result.estimate < 0
    size = fmt(abs(result.estimate))
    if better:
        return (
            f"{levels} Улучшение в целевых ОО на {size} {du} больше, чем в остальных "
            f"({interval}). Это согласуется с действием меры, но не доказывает его: целевые ОО "
            "выбирались не случайно, и на показатель влияют и другие факторы."
        )
    return (
        f"{levels} В целевых ОО показатель изменился на {size} {du} хуже, чем в остальных "
        f"({interval}). Ожидаемого улучшения не видно; нужен анализ причин."
    )


def verdict(result: DidResult, polarity: str = "higher_better") -> str:
    """A code for lists: ``improved``, ``worsened``, ``no_effect`` or ``insufficient``."""
    if result.status != OK or result.estimate is None:
        return "insufficient"
    if not result.significant:
        return "no_effect"
    better = result.estimate > 0 if polarity != "lower_better" else result.estimate < 0
    return "improved" if better else "worsened"


VERDICT_LABELS: Final[dict[str, str]] = {
    "improved": "улучшение статистически значимо",
    "worsened": "ухудшение статистически значимо",
    "no_effect": "разница статистически не значима",
    "insufficient": "недостаточно данных",
}


def split_years(years: Iterable[int], first_after: int) -> tuple[list[int], list[int]]:
    """Years before ``first_after`` and from it on."""
    ys = sorted(set(years))
    return [y for y in ys if y < first_after], [y for y in ys if y >= first_after]
