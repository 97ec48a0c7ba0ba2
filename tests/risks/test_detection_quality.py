"""Detection quality on the generator's planted truth, at the default thresholds.

A region of 60 schools over three years (seed 7) is generated and its files imported through
the real import path; the markers must find at least 90 % of the planted schools of each kind
with at most 20 % of their flags (and of the schools they flag) on clean schools, and the 30 %
rule must reproduce the planted low-results schools exactly (plus the generator's incidental
ones, if any). The table printed (``pytest -s``) is the one in docs/risks.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

KINDS = {
    "bunching": ("M4",),
    "difficulty_inversion": ("M2",),
    "journal_mismatch": ("M3",),
    "year_swing": ("M5",),
    "unconfirmed_high": ("M1", "M8"),
    "medals_unconfirmed": ("M8",),
    "misfit": ("M6",),
}
NEEDED = {"organizations", "social_context", "vpr_results", "canonical", "oge_results",
          "ege_results", "medals"}


@pytest.fixture
def generated(catalog, tmp_path: Path):
    from soko.imports.services import import_file
    from soko.lib.generator import GeneratorConfig, generate, write_files
    from soko.lib.generator.truth import build_truth
    from soko.warehouse.store import open_warehouse

    data = generate(GeneratorConfig(schools=60, seed=7, vpr_format="csv"))
    manifest = write_files(data, tmp_path / "gen", workers=1)
    with open_warehouse():
        for item in manifest.files:
            if item.kind in NEEDED:
                import_file(manifest.root / item.path, kind=item.kind, year=item.year,
                            run_hooks=False)
    return data, build_truth(data)


def test_markers_and_rule_on_planted_truth(generated) -> None:
    from soko.lib.generator.truth import low_results_rule
    from soko.risks.models import Flag
    from soko.risks.services import risks_compute

    data, truth = generated
    risks_compute()
    flags = list(Flag.objects.filter(kind="objectivity").select_related("organization"))
    clean = set(truth["clean_schools"])
    rows = []
    for kind, codes in KINDS.items():
        planted = {r["org_code"] for r in truth["planted"][kind]}
        chosen = [f for f in flags if set(codes) & set(f.codes)]
        flagged = {f.organization.code for f in chosen}
        on_clean = [f for f in chosen if f.organization.code in clean]
        recall = len(planted & flagged) / len(planted)
        clean_flags = len(on_clean) / max(len(chosen), 1)
        clean_schools = len(flagged & clean) / max(len(flagged), 1)
        rows.append((kind, "/".join(codes), len(planted), len(planted & flagged), recall,
                     len(chosen), len(on_clean), clean_flags, clean_schools))
    print("\nвид | признак | заложено ОО | найдено | полнота | флагов | на чистых | доля флагов "
          "на чистых | доля ОО на чистых")
    for r in rows:
        print(f"{r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:.0%} | {r[5]} | {r[6]} | {r[7]:.1%} | "
              f"{r[8]:.1%}")
    for r in rows:
        assert r[4] >= 0.9, r
        assert r[7] <= 0.2, r
        assert r[8] <= 0.2, r

    login = [s.login for s in data.population.schools]
    expected = {(login[s], y) for s, years in low_results_rule(data).items() for y in years}
    ours = {(f.organization.code, f.year)
            for f in Flag.objects.filter(kind="low_results").select_related("organization")
            if "rule_30pct" in f.codes}
    assert ours == expected
    planted_low = {r["org_code"] for r in truth["planted"]["low_results"]}
    incidental = {r["org_code"] for r in truth["incidental"]["low_results_rule"]}
    assert {o for o, _ in ours} == planted_low | incidental
