"""How the analyses do on the generator's planted truth (a demo instance).

Usage::

    SOKO_DATA_DIR=/tmp/x-demo soko demo --no-serve          # once (≈ 3 min)
    SOKO_DATA_DIR=/tmp/x-demo python benchmarks/analyses_truth.py [--skills] [--json]

Recomputes the analyses of every year, then compares with ``demo/*/truth.json``:

* teachers' deficits — each planted ``teacher_deficit`` (class × skill) is *found* when a deficit
  of that class and work covers one of the planted tasks; every other deficit is a flag on a
  class without a planted deficit, split into: classes/works where another anomaly was planted
  (misfit, difficulty inversion, bunching, journal mismatch — they really do show skill-shaped
  drops), and classes with nothing planted; the «нетипичный профиль» mark is counted apart;
* agreement of positions — how many ``unconfirmed_high`` schools (ВПР boosted, ОГЭ/ЕГЭ true) have
  ВПР and ГИА positions that disagree, against the clean schools.

``--skills`` first writes the skills (КЭС) of the generator's ВПР works into the catalog tasks
(the demo import leaves them empty, so by default each task is its own «skill»).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skills", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "soko.settings")
    import django

    django.setup()
    from django.conf import settings

    from soko.analyses.models import Deficit, SchoolAgreement
    from soko.analyses.services import analyses_compute
    from soko.catalog.models import Assessment, Task
    from soko.registry.models import Organization

    truth_files = sorted(Path(settings.SOKO.data_dir, "demo").glob("*/truth.json"))
    if not truth_files:
        raise SystemExit("no demo/*/truth.json under SOKO_DATA_DIR: run `soko demo` first")
    truth = json.loads(truth_files[0].read_text(encoding="utf-8"))
    if args.skills:
        for work in truth["scales"]["ВПР"]:
            for a in Assessment.objects.filter(procedure__code="ВПР",
                                               subject__code=work["subject"],
                                               grade=work["grade"]):
                for t in work["tasks"]:
                    Task.objects.filter(assessment=a, number=t["number"]).update(skill=t["skill"])
    t0 = time.monotonic()
    report = analyses_compute()
    seconds = time.monotonic() - t0

    codes = dict(Organization.objects.values_list("id", "code"))
    planted = truth["planted"]["teacher_deficit"]
    by_class: dict[tuple, list] = {}
    for d in Deficit.objects.all():
        key = (codes[d.organization_id], d.year, d.subject, d.grade, d.class_label)
        by_class.setdefault(key, []).append(d)
    planted_keys = {(p["org_code"], p["year"], p["subject"], p["grade"], p["class_label"])
                    for p in planted}
    found = [
        p for p in planted
        if any(set(d.task_numbers) & set(p["tasks"])
               for d in by_class.get((p["org_code"], p["year"], p["subject"], p["grade"],
                                      p["class_label"]), []))
    ]
    other_works = {
        (p["org_code"], p["year"], p["subject"], p["grade"])
        for kind in ("misfit", "difficulty_inversion", "bunching", "journal_mismatch")
        for p in truth["planted"][kind]
    }
    flags: Counter[str] = Counter()
    for key, items in by_class.items():
        for d in items:
            if key in planted_keys:
                kind = "planted deficit"
            elif key[:4] in other_works:
                kind = "work with another planted anomaly"
            else:
                kind = "class with nothing planted"
            flags[f"{kind}{' (нетипичный профиль)' if d.atypical_profile else ''}"] += 1
    total = sum(flags.values())
    clean_flags = flags["class with nothing planted"]
    unconfirmed = {p["org_code"] for p in truth["planted"]["unconfirmed_high"]}
    clean = set(truth["clean_schools"])
    disagree: Counter[str] = Counter()
    checked: Counter[str] = Counter()
    for a in SchoolAgreement.objects.exclude(agrees=None):
        code = codes[a.organization_id]
        group = "unconfirmed_high" if code in unconfirmed else "clean" if code in clean else None
        if group is None:
            continue
        checked[group] += 1
        disagree[group] += int(a.agrees is False)
    result = {
        "compute_seconds": round(seconds, 1),
        "years": report["years"],
        "skills_in_catalog": args.skills,
        "teacher_deficit": {
            "planted": len(planted),
            "found": len(found),
            "flags_total": total,
            "flags": dict(flags),
            "share_of_flags_on_classes_with_nothing_planted": round(clean_flags / total, 3)
            if total else 0.0,
        },
        "agreement": {
            "unconfirmed_high_school_years": checked["unconfirmed_high"],
            "unconfirmed_high_disagreeing": disagree["unconfirmed_high"],
            "clean_school_years": checked["clean"],
            "clean_disagreeing": disagree["clean"],
        },
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    td = result["teacher_deficit"]
    print(f"analyses_compute: {seconds:.1f} s; skills in catalog: {args.skills}")
    print(f"teacher_deficit: found {td['found']} of {td['planted']}; flags {td['flags_total']}:")
    for kind, n in sorted(flags.items()):
        print(f"  {n:4d}  {kind}")
    ag = result["agreement"]
    print(f"agreement: unconfirmed_high disagreeing {ag['unconfirmed_high_disagreeing']} of "
          f"{ag['unconfirmed_high_school_years']} school-years; clean schools "
          f"{ag['clean_disagreeing']} of {ag['clean_school_years']}")


if __name__ == "__main__":
    main()
