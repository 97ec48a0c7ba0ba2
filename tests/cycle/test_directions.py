"""Directions read out of headings of the seed roadmaps."""

from __future__ import annotations

import pytest

from soko.cycle.directions import (
    CYCLE_STEPS,
    DIRECTION_CODES,
    SEVERAL,
    direction_label,
    infer_direction,
)

pytestmark = pytest.mark.core


@pytest.mark.parametrize(
    ("heading", "direction"),
    [
        ("1.2. Система оценки качества подготовки учащихся", "results"),
        ("1.3. Система работы со школами с низкими результатами обучения и/или школами, "
         "функционирующими в неблагоприятных социальных условиях", "low_results"),
        ("1.4. Система выявления, поддержки и развития способностей и талантов у детей и "
         "молодёжи", "talents"),
        ("1.5. Система работы по самоопределению и профессиональной ориентации учащихся",
         "career"),
        ("2.1. Система объективности процедур оценки качества образования и олимпиад школьников",
         "objectivity"),
        ("2.2. Система мониторинга эффективности руководителей всех образовательных организаций",
         "leaders"),
        ("2.3. Система методической работы", "teachers"),
        ("2.4. Система организации воспитания и социализации учащихся", "upbringing"),
        ("Приложение 8. Дорожная карта по направлению «Система мониторинга качества дошкольного "
         "образования»", "preschool"),
        ("Приложение 6. Дорожная карта по направлению «Система обеспечения профессионального "
         "развития педагогических работников»", "teachers"),
        ("13. Функциональная грамотность", "results"),
        ("План мероприятий, направленный на обеспечение объективности проведения оценочных "
         "процедур", "objectivity"),
        ("ПЕРЕЧЕНЬ МЕРОПРИЯТИЙ ПО ПОДГОТОВКЕ И ПРОВЕДЕНИЮ ГОСУДАРСТВЕННОЙ (ИТОГОВОЙ) "
         "АТТЕСТАЦИИ", "results"),
        ("1.1. Формирование нормативно-правового обеспечения", None),
        ("Организационно – педагогическая деятельность", None),
        ("", None),
    ],
)
def test_infer_direction(heading, direction):
    assert infer_direction(heading) == direction


def test_nine_directions_and_nine_steps():
    assert len(DIRECTION_CODES) == 9
    assert [s.number for s in CYCLE_STEPS] == list(range(1, 10))
    assert direction_label(SEVERAL) == "несколько направлений"
    assert direction_label("objectivity").startswith("ОБ Система обеспечения объективности")
    assert direction_label("") == "—"
