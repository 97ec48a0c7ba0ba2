from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from soko.monitoring import api, survey_views, talent_views, views

app_name = "monitoring"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("forms/", views.form_catalog, name="forms"),
    path("forms/edit/", views.form_edit, name="form_edit"),
    path("forms/<slug:code>/", views.form_detail, name="form"),
    path("forms/<slug:code>/retire/", views.form_retire, name="form_retire"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/action/", views.campaign_action, name="campaign_action"),
    path("campaigns/<int:pk>/answers.xlsx", views.campaign_export, name="campaign_export"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/check/", views.submission_check, name="submission_check"),
    path("submissions/<int:pk>/row/<slug:table>/", views.submission_row, name="submission_row"),
    path("submissions/<int:pk>/return/", views.submission_return, name="submission_return"),
    path("submissions/<int:pk>/accept/", views.submission_accept, name="submission_accept"),
    path("surveys/", survey_views.survey_list, name="surveys"),
    path("surveys/new/", survey_views.survey_new, name="survey_new"),
    path("surveys/<int:pk>/", survey_views.survey_detail, name="survey"),
    path("surveys/<int:pk>/results/", survey_views.survey_results, name="survey_results"),
    path("surveys/<int:pk>/results.xlsx", survey_views.survey_export, name="survey_export"),
    path("surveys/<int:pk>/participants/<int:pid>/expected/", survey_views.participant_expected,
         name="participant_expected"),
    path("surveys/<int:pk>/participants/<int:pid>/codes/", survey_views.participant_codes,
         name="participant_codes"),
    path("surveys/<int:pk>/participants/<int:pid>/qr.svg", survey_views.participant_qr,
         name="participant_qr"),
    path("s/<str:slug>/", survey_views.public_survey, name="public_survey"),
    path("talents/", talent_views.talents, name="talents"),
    path("talents/export.xlsx", talent_views.talents_export, name="talents_export"),
    path("talents/<str:code>/", talent_views.talent_student, name="talent_student"),
    path("api/v1/forms/", api.FormListApi.as_view(), name="api_forms"),
    path("api/v1/campaigns/", api.CampaignListApi.as_view(), name="api_campaigns"),
    path("api/v1/campaigns/<int:pk>/", api.CampaignDetailApi.as_view(), name="api_campaign"),
    path("api/v1/submissions/", api.SubmissionListApi.as_view(), name="api_submissions"),
    path("api/v1/submissions/<int:pk>/", api.SubmissionDetailApi.as_view(),
         name="api_submission"),
    path("api/v1/submissions/<int:pk>/return/", api.SubmissionReturnApi.as_view(),
         name="api_submission_return"),
    path("api/v1/submissions/<int:pk>/accept/", api.SubmissionAcceptApi.as_view(),
         name="api_submission_accept"),
]
