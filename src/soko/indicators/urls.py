from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from soko.indicators import api, views

app_name = "indicators"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.catalog, name="catalog"),
    path("new/", views.indicator_new, name="new"),
    path("validate/", views.indicator_validate, name="validate"),
    path("compute/", views.compute, name="compute"),
    path("targets/", views.target_list, name="targets"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
    path("orgs/<str:code>/export/", views.org_export, name="org_export"),
    path("api/v1/indicators/", api.IndicatorListApi.as_view(), name="api_list"),
    path(
        "api/v1/indicators/<str:code>/values/",
        api.IndicatorValuesApi.as_view(),
        name="api_values",
    ),
    path("api/v1/targets/", api.TargetListApi.as_view(), name="api_targets"),
    path("<str:code>/", views.indicator_detail, name="detail"),
    path("<str:code>/edit/", views.indicator_edit, name="edit"),
    path("<str:code>/retire/", views.indicator_retire, name="retire"),
    path("<str:code>/targets/", views.target_add, name="target_add"),
]
