"""Fixtures of the management-cycle tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
SEEDS = DATA / "seeds"
EXCERPTS = DATA / "roadmap-excerpts"


def seed(name: str) -> Path:
    (path,) = sorted(SEEDS.glob(f"{name}*.txt"))
    return path


@pytest.fixture
def mun(personas: Any) -> Any:
    return personas.municipality


@pytest.fixture
def authority_scope(personas: Any) -> Any:
    from soko.accounts.scope import scope_for_user

    return scope_for_user(personas.authority)


@pytest.fixture
def school_scope(personas: Any) -> Any:
    from soko.accounts.scope import scope_for_user

    return scope_for_user(personas.user_a)


@pytest.fixture
def small_roadmap(personas: Any, authority_scope: Any) -> Any:
    """A 2026 roadmap of the test municipality with four items (created on 10.01.2026):

    1.1 «ежеквартально» — all schools («Руководители ОО»);
    1.2 «до 01.03.2026» — the methodical service;
    1.3 «Февраль ежегодно» — school A by its name;
    1.4 «постоянно» — the authority.
    """
    import time_machine

    from soko.cycle.services import item_add, roadmap_create, section_add

    with time_machine.travel(dt.date(2026, 1, 10)):
        return _small_roadmap(personas, authority_scope, item_add, roadmap_create, section_add)


def _small_roadmap(personas: Any, authority_scope: Any, item_add: Any, roadmap_create: Any,
                   section_add: Any) -> Any:
    roadmap = roadmap_create(
        scope=authority_scope, territory=personas.municipality,
        title="План мероприятий по повышению качества образования на 2026 год",
        direction="results", period_start=2026, period_end=2026, doc_kind="приказ",
        doc_number="5", status="active",
    )
    section = section_add(roadmap=roadmap, scope=authority_scope, number="1",
                          name="Оценка качества подготовки обучающихся")
    for number, title, deadline, responsible in [
        ("1.1", "Мониторинг выполнения планов", "ежеквартально", "Руководители ОО"),
        ("1.2", "Аналитическая справка по ВПР", "до 01.03.2026", "МКУ «Методический центр»"),
        ("1.3", "Школьный семинар", "Февраль ежегодно", "СОШ № 1"),
        ("1.4", "Сопровождение сайта", "постоянно", "Управление образования"),
    ]:
        item_add(roadmap=roadmap, scope=authority_scope, section=section, number=number,
                 title=title, deadline_text=deadline, responsible_text=responsible)
    return roadmap
