from __future__ import annotations

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "soko.catalog"
    label = "catalog"
    verbose_name = "Каталог оценочных процедур"
