"""Built-in definitions: loaded from every area's data/indicators.yaml, versioned by checksum,
with problems kept on the indicator instead of failing the load."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from soko.indicators import services
from soko.indicators.models import Indicator, IndicatorCatalogVersion

pytestmark = pytest.mark.django_db


def test_the_session_database_has_the_builtin_catalog(catalog: None) -> None:
    ours = Indicator.objects.filter(area="indicators", is_builtin=True)
    assert ours.count() >= 55
    assert IndicatorCatalogVersion.objects.exists()
    assert services.indicators_load_builtin() == {"skipped": True}
    vpr = Indicator.objects.get(code="results.vpr_share2")
    assert vpr.source.code == "seed-003-yurga-low-results" and vpr.breakdown == ["subject", "grade"]
    assert vpr.filters == {"procedure": "ВПР"} and vpr.key


def test_every_area_definition_file_is_read(catalog: None) -> None:
    areas = {label for label, _ in services.definition_files()}
    assert "indicators" in areas
    for label, path in services.definition_files():
        codes = {item["code"] for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []}
        loaded = set(Indicator.objects.filter(code__in=codes).values_list("code", flat=True))
        assert loaded == codes, f"{label}: не загружены {sorted(codes - loaded)}"


def test_a_reload_reports_problems_duplicates_and_retires_removed_definitions(
    catalog: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tmp_path / "a" / "indicators.yaml"
    second = tmp_path / "b" / "indicators.yaml"
    first.parent.mkdir()
    second.parent.mkdir()
    first.write_text(
        yaml.safe_dump(
            [
                {
                    "code": "results.vpr_share2",
                    "name": "Доля «2»",
                    "direction": "results",
                    "numerator": "count(result where mark = 2)",
                    "denominator": "count(result)",
                    "source": "system",
                },
                {
                    "code": "results.broken",
                    "name": "Сломанный",
                    "direction": "results",
                    "numerator": "count(result where mark = )",
                    "source": "system",
                },
                {
                    "code": "results.unsourced",
                    "name": "Без источника",
                    "direction": "results",
                    "numerator": "count(result)",
                    "source": "no-such-source",
                },
            ],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    second.write_text(
        yaml.safe_dump(
            [
                {
                    "code": "results.vpr_share2",
                    "name": "Повтор",
                    "direction": "results",
                    "numerator": "count(result)",
                    "source": "system",
                },
            ],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(services, "definition_files", lambda: [("a", first), ("b", second)])
    report = services.indicators_load_builtin()
    assert report["problems"] == 2
    assert any("уже определён в области «a»" in e for e in report["errors"])
    broken = Indicator.objects.get(code="results.broken")
    assert "Столбец 27" in broken.problem and broken.is_builtin
    unsourced = Indicator.objects.get(code="results.unsourced")
    assert "no-such-source" in unsourced.problem and unsourced.source.code == "system"
    assert Indicator.objects.get(code="results.vpr_share2").name == "Доля «2»"
    retired = Indicator.objects.get(code="results.vpr_quality")
    assert retired.retired and "исключён" in retired.problem
    assert services.indicators_load_builtin() == {"skipped": True}


def test_a_user_indicator_is_never_overwritten_by_a_builtin(
    catalog: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = Indicator.objects.create(
        code="results.mine",
        name="Мой",
        direction="results",
        numerator="count(result)",
        source_id=Indicator.objects.first().source_id,
    )
    path = tmp_path / "indicators.yaml"
    path.write_text(
        yaml.safe_dump(
            [
                {
                    "code": "results.mine",
                    "name": "Чужой",
                    "direction": "results",
                    "numerator": "count(result)",
                }
            ],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr(services, "definition_files", lambda: [("x", path)])
    report = services.indicators_load_builtin()
    assert any("занят показателем, созданным пользователем" in e for e in report["errors"])
    mine.refresh_from_db()
    assert mine.name == "Мой" and not mine.is_builtin
