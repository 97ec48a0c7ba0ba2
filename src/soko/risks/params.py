"""The methodological parameters of the risk analyses in force for a year, with their sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from soko.core.errors import ApplicationError
from soko.risks.lowresults import DEFAULT_COMPONENTS, Component, IndexParams, RuleParams
from soko.risks.markers import MarkerParams

MARKER_PARAMS: dict[str, tuple[str, ...]] = {
    "M1": (
        "objectivity.min_n",
        "objectivity.m1.z_min",
        "objectivity.m1.z_min_unverifiable",
        "objectivity.m1.confirm_percentile",
        "objectivity.m1.explained_types",
        "objectivity.m8.gia_min_n",
    ),
    "M2": ("objectivity.m2.min_n", "objectivity.m2.basic_max_diff", "objectivity.m2.hard_min_diff"),
    "M3": (
        "objectivity.m3.min_pairs",
        "objectivity.m3.excess",
        "objectivity.m3.equal_share",
        "objectivity.m3.alpha",
    ),
    "M4": (
        "vpr.histogram.min_n",
        "objectivity.m4.window",
        "objectivity.m4.z_min",
        "objectivity.m4.missing_share",
    ),
    "M5": ("objectivity.min_n", "objectivity.m5.score_min", "objectivity.m5.z_change"),
    "M6": (
        "objectivity.m6.lz_cut",
        "objectivity.m6.min_class_n",
        "objectivity.m6.excess",
        "objectivity.m6.alpha",
    ),
    "M8": (
        "objectivity.min_n",
        "objectivity.m8.gap",
        "objectivity.m8.min_vpr_percentile",
        "objectivity.m8.gia_min_n",
        "objectivity.m8.medal_russian_min",
        "objectivity.m8.medals_min",
    ),
}
RULE_PARAMS = (
    "low_results.rule_30pct.share",
    "low_results.rule_30pct.min_procedures",
    "low_results.rule_30pct.consecutive_years",
    "low_results.rule_30pct.min_participants",
    "low_results.rule_30pct.procedures",
)
INDEX_PARAMS = (
    "low_results.index.procedures",
    "low_results.index.subjects",
    "low_results.index.weights",
    "low_results.index.bottom_share",
    "low_results.index.window_years",
    "low_results.index.min_years",
    "low_results.index.min_n",
)
SOCIAL_PARAMS = (
    "social.index.top_share",
    "social.index.components",
    "social.resilient.min_results",
)
OTHER_PARAMS = ("objectivity.procedures", "recheck.max_primary_delta",
                "recheck.objective_share_target", "privacy.min_group_size")
ALL_PARAMS = tuple(
    dict.fromkeys(
        [c for codes in MARKER_PARAMS.values() for c in codes]
        + list(RULE_PARAMS + INDEX_PARAMS + SOCIAL_PARAMS + OTHER_PARAMS)
    )
)


@dataclass
class ParamBook:
    """Parameter values of one year plus, for evidence, what each is and where it comes from."""

    year: int
    values: dict[str, Any]
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __getitem__(self, code: str) -> Any:
        return self.values[code]

    def describe(self, codes: tuple[str, ...] | list[str]) -> dict[str, dict[str, Any]]:
        return {c: self.meta[c] for c in codes if c in self.meta}

    def markers(self) -> MarkerParams:
        v = self.values
        return MarkerParams(
            min_n=int(v["objectivity.min_n"]),
            m1_z_min=float(v["objectivity.m1.z_min"]),
            m1_z_min_unverifiable=float(v["objectivity.m1.z_min_unverifiable"]),
            m1_confirm_percentile=float(v["objectivity.m1.confirm_percentile"]),
            m2_min_n=int(v["objectivity.m2.min_n"]),
            m2_basic_max_diff=float(v["objectivity.m2.basic_max_diff"]),
            m2_hard_min_diff=float(v["objectivity.m2.hard_min_diff"]),
            m3_min_pairs=int(v["objectivity.m3.min_pairs"]),
            m3_excess=float(v["objectivity.m3.excess"]),
            m3_equal_share=float(v["objectivity.m3.equal_share"]),
            m3_alpha=float(v["objectivity.m3.alpha"]),
            m4_min_n=int(v["vpr.histogram.min_n"]),
            m4_window=int(v["objectivity.m4.window"]),
            m4_z_min=float(v["objectivity.m4.z_min"]),
            m4_missing_share=float(v["objectivity.m4.missing_share"]),
            m5_score_min=float(v["objectivity.m5.score_min"]),
            m5_z_change=float(v["objectivity.m5.z_change"]),
            m6_lz_cut=float(v["objectivity.m6.lz_cut"]),
            m6_min_class_n=int(v["objectivity.m6.min_class_n"]),
            m6_excess=float(v["objectivity.m6.excess"]),
            m6_alpha=float(v["objectivity.m6.alpha"]),
            m8_gap=float(v["objectivity.m8.gap"]),
            m8_min_vpr_percentile=float(v["objectivity.m8.min_vpr_percentile"]),
            m8_gia_min_n=int(v["objectivity.m8.gia_min_n"]),
            m8_medal_russian_min=float(v["objectivity.m8.medal_russian_min"]),
            m8_medals_min=int(v["objectivity.m8.medals_min"]),
        )

    def rule(self) -> RuleParams:
        v = self.values
        return RuleParams(
            share=float(v["low_results.rule_30pct.share"]),
            min_procedures=int(v["low_results.rule_30pct.min_procedures"]),
            consecutive_years=int(v["low_results.rule_30pct.consecutive_years"]),
            min_participants=int(v["low_results.rule_30pct.min_participants"]),
        )

    def index(self) -> IndexParams:
        v = self.values
        return IndexParams(
            bottom_share=float(v["low_results.index.bottom_share"]),
            window_years=int(v["low_results.index.window_years"]),
            min_years=int(v["low_results.index.min_years"]),
            weights={str(k): float(w) for k, w in dict(v["low_results.index.weights"]).items()},
        )

    def components(self) -> list[Component]:
        wanted = [str(c) for c in self.values["social.index.components"]]
        known = {c.name: c for c in DEFAULT_COMPONENTS}
        return [known[c] for c in wanted if c in known]


def load_params(year: int) -> ParamBook:
    """The values in force for ``year``; a missing parameter is a user-facing error."""
    from soko.catalog.models import Parameter
    from soko.catalog.selectors import source_dict

    rows = Parameter.objects.filter(code__in=ALL_PARAMS, valid_from__lte=year).select_related(
        "source"
    )
    chosen: dict[str, Parameter] = {}
    for p in rows.order_by("code", "-valid_from"):
        chosen.setdefault(p.code, p)
    missing = [c for c in ALL_PARAMS if c not in chosen]
    if missing:
        raise ApplicationError(
            "Не загружены методические параметры: "
            + ", ".join(missing)
            + ". Выполните «soko init» (или «soko catalog load --force»)."
        )
    book = ParamBook(year, {c: p.value for c, p in chosen.items()})
    for c, p in chosen.items():
        book.meta[c] = {
            "code": c,
            "name": p.name,
            "value": p.value,
            "unit": p.unit,
            "valid_from": p.valid_from,
            "source": source_dict(p.source),
        }
    return book
