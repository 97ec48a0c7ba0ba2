"""Evidence of a flag in plain Russian: one sentence per marker or rule, with the figures and the
thresholds it was compared with (pure: works on the stored evidence dictionaries)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from soko.risks.lowresults import QUADRANTS
from soko.risks.markers import MARKER_TITLES

RULE_TITLES = {
    "rule_30pct": "Правило 30 % (индикатор риска Рособрнадзора)",
    "low_index": "Индекс низких результатов (нижняя группа региона)",
    "social_index": "Индекс социального контекста (ИСК)",
}


def num(value: Any, digits: int = 1) -> str:
    """A number with a decimal comma; «—» for missing values."""
    if value is None:
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{v:.{digits}f}".replace(".", ",")
    if digits and "," in text:
        text = text.rstrip("0").rstrip(",")
    return text.replace("-", "−")


def pct(value: Any, digits: int = 1) -> str:
    """A share 0–1 as percent."""
    if value is None:
        return "—"
    return f"{num(float(value) * 100, digits)} %"


def marker_text(code: str, d: Mapping[str, Any], *, personal: bool = True) -> str:
    """What a marker found, in one or two Russian sentences. ``personal`` False hides the
    pseudonymous codes of graduates (shown only to the authority and the school itself)."""
    if not d.get("evaluable"):
        return "Не оценивался: недостаточно участников или нет данных для сравнения."
    n = d.get("n")
    if code == "M1":
        gia = (
            f"ГИА ОО по предмету — {num(100 * d['gia_percentile'], 0)}-й процентиль региона "
            f"(подтверждает при {num(100 * d['confirm_percentile'], 0)}-м и выше)"
            if d.get("gia_percentile") is not None
            else "результатов ГИА ОО по предмету для сопоставления нет (порог выше)"
        )
        explained = " Объяснимо углублённым изучением предмета." if d.get(
            "explained_by_in_depth") else ""
        return (
            f"Средний результат ОО {num(d.get('school_percent'))} % от максимума (с поправкой на "
            f"малую выборку {num(d.get('shrunk_percent'))} %) при региональном "
            f"{num(d.get('region_percent'))} %: на {num(d.get('statistic'), 2)} межшкольных "
            f"стандартных отклонения выше региона (порог {num(d.get('z_min'), 1)}); {gia}; "
            f"участников {n}.{explained}"
        )
    if code == "M2":
        return (
            f"Задания базового уровня выполнены на {num(d.get('basic_diff_pp'))} п. п. "
            f"относительно региона (признак — не выше {num(d.get('basic_max_diff_pp'))} п. п.), "
            f"задания повышенного и высокого уровня — на {num(d.get('hard_diff_pp'))} п. п. "
            f"(признак — не менее +{num(d.get('hard_min_diff_pp'))} п. п.); участников {n}."
        )
    if code == "M3":
        reasons = {"lower": "понизили", "higher": "повысили", "equal": "подтвердили"}
        found = ", ".join(reasons[r] for r in d.get("reasons", [])) or "нет"
        return (
            f"Отметка ВПР ниже отметки по журналу у {pct(d.get('share_lower'))} (ожидалось "
            f"{pct(d.get('expected_lower'))} по отметкам в журнале), выше — у "
            f"{pct(d.get('share_higher'))} (ожидалось {pct(d.get('expected_higher'))}), совпала — "
            f"у {pct(d.get('share_equal'))}; расхождение на 2 балла и более — {d.get('gap2', 0)} "
            f"чел.; превышение порога {num(d.get('excess_pp'), 0)} п. п. при p ≤ "
            f"{num(d.get('alpha'), 5)}: {found}; пар отметок {n}."
        )
    if code == "M4":
        bounds = ", ".join(str(b) for b in d.get("boundaries", []))
        return (
            f"На 1–2 балла ниже границ отметок ({bounds}) — {d.get('below_boundaries')} "
            f"участников при ожидаемых по сглаженному "
            f"распределению {num(d.get('expected_below'))}: недостаёт "
            f"{pct(d.get('missing_share'), 0)} (порог {pct(d.get('missing_share_min'), 0)}), "
            f"z = {num(d.get('statistic'), 2)} (порог {num(d.get('z_min'), 1)}); на самих "
            f"границах — {d.get('at_boundaries')}; участников {n}."
        )
    if code == "M5":
        return (
            f"Результат {num(d.get('percent_prev'))} % → {num(d.get('percent_cur'))} % → "
            f"{num(d.get('percent_next'))} % (прошлый, этот, следующий год): рост z = "
            f"{num(d.get('z_rise'), 1)}, спад z = {num(d.get('z_fall'), 1)} (порог "
            f"{num(d.get('z_change_min'), 1)}); индекс колебаний {num(d.get('statistic'), 2)} "
            f"из 2 (порог {num(d.get('score_min'), 2)}); участников {n}."
        )
    if code == "M6":
        classes = [c for c in d.get("classes", []) if c.get("fired")]
        listed = "; ".join(
            f"{c['class_label']}: {c['misfit']} из {c['n']} ({pct(c['share'], 0)})" for c in classes
        ) or "ни в одном классе"
        return (
            f"Неправдоподобные профили ответов (lz < {num(d.get('lz_cut'), 3)}) — {listed} при "
            f"{pct(d.get('region_share'))} в регионе (порог — на "
            f"{num(d.get('excess_pp'), 0)} п. п. выше, p ≤ {num(d.get('alpha'), 4)}; классы от "
            f"{d.get('min_class_n')} чел.)."
        )
    if code == "M8":
        if "medallists" in d:
            items = "; ".join(
                (f"{u['student_code']} " if personal else "")
                + f"({u['medal']}): {', '.join(u['reasons'])}"
                for u in d.get("unconfirmed", [])
            ) or "нет"
            return (
                f"Медалистов {d.get('medallists')}, проверено по ЕГЭ {d.get('checked')}; не "
                f"подтверждено: {items} (требуется ЕГЭ по русскому языку не ниже "
                f"{num(d.get('russian_min'), 0)} и минимальные баллы по остальным предметам)."
            )
        return (
            f"Результат ВПР — {num(100 * (d.get('vpr_percentile') or 0), 0)}-й процентиль "
            f"региона, ГИА ОО по предмету — {num(100 * (d.get('gia_percentile') or 0), 0)}-й "
            f"(разрыв {num(100 * (d.get('statistic') or 0), 0)} при пороге "
            f"{num(100 * (d.get('gap_min') or 0), 0)}); участников ГИА {d.get('gia_n')}."
        )
    return ""


def objectivity_lines(
    evidence: Mapping[str, Any], *, personal: bool = True
) -> list[dict[str, Any]]:
    """One entry per evaluated marker (fired ones first) with its Russian explanation."""
    markers = evidence.get("markers", {})
    out = []
    for code in sorted(markers):
        d = markers[code]
        out.append({"code": code, "title": MARKER_TITLES.get(code, code),
                    "fired": bool(d.get("fired")), "evaluable": bool(d.get("evaluable")),
                    "text": marker_text(code, d, personal=personal), "data": d})
    return sorted(out, key=lambda x: (not x["fired"], x["code"]))


def rule_text(rule: Mapping[str, Any] | None) -> str:
    if not rule:
        return "Нет результатов процедур с отметками для проверки правила."
    failing = [w for w in rule.get("works", []) if w.get("fails")]
    parts = [
        f"{w['label']}: {w['n2']} из {w['n']} ({pct(w['share'])})"
        + (" — и в прошлом году" if w.get("repeated") else "")
        for w in failing
    ]
    verdict = "выполняется" if rule.get("fired") else "не выполняется"
    listed = "; ".join(parts) if parts else "нет работ с долей «2» не ниже порога"
    return f"Правило {verdict}. Работы с долей «2» не ниже порога: {listed}."


def index_text(index: Mapping[str, Any] | None) -> str:
    if not index:
        return "Индекс не рассчитан: нет результатов по русскому языку и математике."
    years = ", ".join(str(y) for y in index.get("bottom_years", [])) or "нет"
    window = ", ".join(str(y) for y in index.get("window", []))
    by_proc = "; ".join(f"{p}: {num(v, 2)}" for p, v in (index.get("by_procedure") or {}).items())
    return (
        f"Индекс результатов {num(index.get('value'), 2)} SD (процентиль "
        f"{pct(index.get('percentile'), 0)}); по процедурам — {by_proc or 'нет данных'}. В "
        f"нижней группе региона в годы: {years} (окно {window})."
    )


def social_text(social: Mapping[str, Any] | None) -> str:
    if not social:
        return "Сведения о социальном контексте ОО за этот год не загружены."
    return (
        f"ИСК {num(social.get('value'), 2)} (процентиль {pct(social.get('percentile'), 0)}; "
        f"выше — неблагоприятнее). "
        + ("Верхняя четверть региона: ШФНСУ." if social.get("top") else "")
    )


def quadrant_label(code: str | None) -> str:
    return QUADRANTS.get(code or "other", code or "")
