from __future__ import annotations

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "soko.registry"
    label = "registry"
    verbose_name = "Реестр"
