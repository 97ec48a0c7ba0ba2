"""REST API of monitoring forms: forms, campaigns and submissions, with the web's scoping
(a school sees and fills its own forms only; others' give 404)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from soko.accounts.scope import Scope, scope_for_user
from soko.core.errors import ValidationFailed
from soko.monitoring import selectors, services
from soko.monitoring.models import FormTemplate, Submission
from soko.registry.models import Organization, Territory


def _scope(request: Request) -> Scope:
    return scope_for_user(getattr(request, "user", None))


def template_dict(t: FormTemplate) -> dict[str, Any]:
    return {
        "code": t.code,
        "version": t.version,
        "title": t.title,
        "direction": t.direction,
        "org_kinds": t.org_kinds,
        "source": t.source.code if t.source else None,
        "sections": t.sections,
        "rules": t.rules,
        "retired": t.retired,
    }


def campaign_dict(summary: selectors.CampaignSummary) -> dict[str, Any]:
    c = summary.campaign
    return {
        "id": c.pk,
        "title": c.title,
        "form": c.template.code,
        "form_version": c.template.version,
        "year": c.year,
        "deadline": c.deadline.isoformat(),
        "status": c.status,
        "review_required": c.review_required,
        "organizations": summary.total,
        "by_status": summary.by_status,
        "done": summary.done,
        "percent": summary.percent,
        "overdue": summary.overdue,
        "late_submitted": summary.late_submitted,
    }


def submission_dict(s: Submission, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.pk,
        "campaign": s.campaign_id,
        "form": s.campaign.template.code,
        "year": s.campaign.year,
        "organization": s.organization.code,
        "status": s.status,
        "status_label": s.get_status_display(),
        "submitted_at": s.submitted_at.isoformat() if s.submitted_at else None,
        "submitted_late": s.submitted_late,
        "overdue": selectors.submission_is_overdue(s),
        "return_comment": s.return_comment,
    }
    if full:
        out["values"] = s.values
        out["draft"] = s.raw
        out["history"] = [
            {"at": e.at.isoformat(), "action": e.action, "on_behalf": e.on_behalf,
             "comment": e.comment}
            for e in selectors.submission_history(s)
        ]
    return out


class FormListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Формы мониторинга с полями и правилами", responses=dict)
    def get(self, request: Request) -> Response:
        return Response([template_dict(t) for t in selectors.template_list()])


class CampaignCreateSerializer(serializers.Serializer):
    form = serializers.CharField(help_text="код формы")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    deadline = serializers.DateField(required=False, allow_null=True)
    territory = serializers.CharField(required=False, allow_blank=True)
    kinds = serializers.ListField(child=serializers.CharField(), required=False)
    organizations = serializers.ListField(child=serializers.CharField(), required=False,
                                          help_text="логины ОО")
    review_required = serializers.BooleanField(required=False, default=True)
    title = serializers.CharField(required=False, allow_blank=True)


class CampaignListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Кампании мониторинга в пределах прав (полнота по видимым ОО)",
                   parameters=[OpenApiParameter("year", int), OpenApiParameter("status", str)],
                   responses=dict)
    def get(self, request: Request) -> Response:
        year = request.query_params.get("year")
        rows = selectors.campaign_list(_scope(request),
                                       year=int(year) if year and year.isdigit() else None,
                                       status=request.query_params.get("status") or None)
        return Response([campaign_dict(s) for s in rows])

    @extend_schema(summary="Отправить форму организациям (орган управления)",
                   request=CampaignCreateSerializer, responses=dict)
    def post(self, request: Request) -> Response:
        scope = _scope(request)
        data = CampaignCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        template = selectors.template_get(v["form"])
        territory = None
        if v.get("territory"):
            territory = Territory.objects.filter(scope.territory_q(), code=v["territory"]).first()
            if territory is None:
                raise ValidationFailed(f"Территория «{v['territory']}» не найдена или недоступна.")
        orgs = None
        if v.get("organizations"):
            orgs = list(Organization.objects.filter(scope.org_q(), code__in=v["organizations"]))
            if len(orgs) != len(set(v["organizations"])):
                raise ValidationFailed("Часть организаций не найдена или недоступна.")
        campaign = services.campaign_create(
            scope=scope, template=template, year=v["year"], deadline=v.get("deadline"),
            territory=territory, kinds=v.get("kinds") or None, organizations=orgs,
            review_required=v.get("review_required", True), title=v.get("title") or "",
            user=request.user,
        )
        return Response(campaign_dict(selectors.campaign_summary(scope, campaign)),
                        status=status.HTTP_201_CREATED)


class CampaignDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Кампания: полнота и формы ОО в пределах прав", responses=dict)
    def get(self, request: Request, pk: int) -> Response:
        scope = _scope(request)
        campaign = selectors.campaign_get(scope, pk)
        return Response({
            **campaign_dict(selectors.campaign_summary(scope, campaign)),
            "submissions": [submission_dict(r.submission)
                            for r in selectors.campaign_submissions(scope, campaign)],
        })


class SubmissionListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Формы ОО в пределах прав",
                   parameters=[OpenApiParameter("year", int), OpenApiParameter("status", str),
                               OpenApiParameter("campaign", int)], responses=dict)
    def get(self, request: Request) -> Response:
        scope = _scope(request)
        year = request.query_params.get("year")
        qs = selectors.submission_list(scope, year=int(year) if year and year.isdigit() else None,
                                       status=request.query_params.get("status") or None)
        campaign = request.query_params.get("campaign")
        if campaign and campaign.isdigit():
            qs = qs.filter(campaign_id=int(campaign))
        return Response([submission_dict(s) for s in qs])


class SubmissionWriteSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["save", "submit"], default="save")
    values = serializers.DictField(help_text="ответы: код поля → значение (строка, число, "
                                             "список для множественного выбора, строки таблиц)")


class SubmissionDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Форма ОО: ответы и история", responses=dict)
    def get(self, request: Request, pk: int) -> Response:
        return Response(submission_dict(selectors.submission_get(_scope(request), pk),
                                        full=True))

    @extend_schema(summary="Сохранить черновик или представить форму",
                   request=SubmissionWriteSerializer, responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        scope = _scope(request)
        submission = selectors.submission_get(scope, pk)
        data = SubmissionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        raw = {k: (str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v)
               for k, v in data.validated_data["values"].items()}
        if data.validated_data["action"] == "submit":
            result = services.submission_submit(scope=scope, submission=submission, raw=raw,
                                                user=request.user)
        else:
            result = services.submission_save(scope=scope, submission=submission, raw=raw,
                                              user=request.user)
        submission.refresh_from_db()
        body = {**submission_dict(submission, full=True), "errors": result.errors}
        if not result.ok and data.validated_data["action"] == "submit":
            return Response({"message": "Форма не представлена: исправьте ошибки.",
                             "extra": body}, status=status.HTTP_400_BAD_REQUEST)
        return Response(body)


class ReturnSerializer(serializers.Serializer):
    comment = serializers.CharField()


class SubmissionReturnApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Вернуть форму на доработку с комментарием (орган управления)",
                   request=ReturnSerializer, responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        scope = _scope(request)
        submission = selectors.submission_get(scope, pk)
        data = ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.submission_return(scope=scope, submission=submission,
                                   comment=data.validated_data["comment"], user=request.user)
        submission.refresh_from_db()
        return Response(submission_dict(submission, full=True))


class SubmissionAcceptApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Принять представленную форму (орган управления)", request=None,
                   responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        scope = _scope(request)
        submission = selectors.submission_get(scope, pk)
        services.submission_accept(scope=scope, submission=submission, user=request.user)
        submission.refresh_from_db()
        return Response(submission_dict(submission, full=True))

