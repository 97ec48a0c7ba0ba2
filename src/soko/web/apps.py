from __future__ import annotations

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "soko.web"
    label = "web"
    verbose_name = "Веб-интерфейс"
