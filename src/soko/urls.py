"""Root URL configuration."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("soko.web.urls")),
    path("imports/", include("soko.imports.urls")),
    path("indicators/", include("soko.indicators.urls")),
    path("monitoring/", include("soko.monitoring.urls")),
    path("analyses/", include("soko.analyses.urls")),
    path("risks/", include("soko.risks.urls")),
    path("cycle/", include("soko.cycle.urls")),
    path("reports/", include("soko.reports.urls")),
    path("api/", include("soko.api.urls")),
    path("admin/", admin.site.urls),
]
