"""REST API of the indicators area: the catalog, stored values and targets, scoped like pages."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from soko.accounts.scope import scope_for_user
from soko.indicators import selectors as sel
from soko.registry import selectors as registry
from soko.registry.models import Territory


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    direction = serializers.CharField(help_text="код направления (DESIGN §2)")
    unit = serializers.CharField()
    polarity = serializers.CharField()
    aggregation = serializers.CharField()
    source = serializers.SerializerMethodField()  # type: ignore[assignment]
    is_builtin = serializers.BooleanField()
    retired = serializers.BooleanField()
    methodology = serializers.CharField()

    def get_source(self, obj: Any) -> dict[str, Any]:
        return {"code": obj.source.code, "title": obj.source.title, "kind": obj.source.kind}


class ValueSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    organization = serializers.SerializerMethodField()
    territory = serializers.SerializerMethodField()
    breakdown = serializers.JSONField()
    value = serializers.FloatField(allow_null=True)
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()
    suppressed = serializers.BooleanField(help_text="группа меньше минимального размера: без цифр")
    previous_value = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    change_significant = serializers.BooleanField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True)

    def get_organization(self, obj: Any) -> str | None:
        return obj.organization.code if obj.organization_id else None

    def get_territory(self, obj: Any) -> str | None:
        return obj.territory.code if obj.territory_id else None


class TargetSerializer(serializers.Serializer):
    indicator = serializers.CharField(source="indicator.code")
    year = serializers.IntegerField()
    organization = serializers.SerializerMethodField()
    territory = serializers.SerializerMethodField()
    breakdown_key = serializers.CharField()
    value = serializers.FloatField()
    status = serializers.CharField()
    actual_value = serializers.FloatField(allow_null=True)
    projected_value = serializers.FloatField(allow_null=True)
    status_note = serializers.CharField()
    document_number = serializers.CharField()
    document_date = serializers.DateField(allow_null=True)
    document_title = serializers.CharField()

    def get_organization(self, obj: Any) -> str | None:
        return obj.organization.code if obj.organization_id else None

    def get_territory(self, obj: Any) -> str | None:
        return obj.territory.code if obj.territory_id else None


class IndicatorListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Каталог показателей",
        parameters=[
            OpenApiParameter("direction", str, description="код направления"),
            OpenApiParameter("retired", bool, description="включая выведенные из употребления"),
        ],
        responses=IndicatorSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = sel.indicator_list(
            direction=request.query_params.get("direction") or None,
            include_retired=request.query_params.get("retired") in ("1", "true"),
        )
        return Response(IndicatorSerializer(qs, many=True).data)


class IndicatorValuesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Значения показателя в пределах прав пользователя",
        parameters=[
            OpenApiParameter("year", int),
            OpenApiParameter("org", str, description="логин ОО"),
            OpenApiParameter("territory", str, description="код территории"),
            OpenApiParameter("breakdown", str, description="ключ разреза; * — все разрезы"),
        ],
        responses=ValueSerializer(many=True),
    )
    def get(self, request: Request, code: str) -> Response:
        scope = scope_for_user(request.user)
        sel.indicator_get(code)
        year_raw = request.query_params.get("year") or ""
        org_code = request.query_params.get("org")
        territory_code = request.query_params.get("territory")
        breakdown = request.query_params.get("breakdown", "")
        qs = sel.indicator_values(
            scope,
            code,
            year=int(year_raw) if year_raw.isdigit() else None,
            organization=registry.organization_get(scope, org_code) if org_code else None,
            territory=Territory.objects.filter(code=territory_code).first()
            if territory_code
            else None,
            breakdown_key=None if breakdown == "*" else breakdown,
        )
        return Response(ValueSerializer(qs, many=True).data)


class TargetListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Целевые значения и их статус",
        parameters=[OpenApiParameter("code", str), OpenApiParameter("year", int)],
        responses=TargetSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        year_raw = request.query_params.get("year") or ""
        qs = sel.targets(
            scope_for_user(request.user),
            code=request.query_params.get("code") or None,
            year=int(year_raw) if year_raw.isdigit() else None,
        )
        return Response(TargetSerializer(qs, many=True).data)
