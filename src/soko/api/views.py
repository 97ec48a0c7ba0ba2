"""REST API: organizations and the catalog, with the same scoping as the web pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from soko.accounts.scope import Scope, scope_for_user
from soko.catalog.selectors import assessment_dict, assessment_list, parameters_current, source_dict
from soko.registry import selectors as registry


def api_scope(request: Request | HttpRequest) -> Scope:
    return scope_for_user(getattr(request, "user", None))


class TerritoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class OrganizationSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Логин ФИС ОКО")
    name = serializers.CharField()
    short_name = serializers.CharField()
    kind = serializers.CharField()
    type = serializers.CharField(source="org_type")
    settlement = serializers.CharField()
    territory = TerritoryRefSerializer()
    head_name = serializers.CharField()
    in_depth_subjects = serializers.SerializerMethodField()

    def get_in_depth_subjects(self, obj: Any) -> list[str]:
        return [s.code for s in obj.in_depth_subjects.all()]


class OrganizationListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Организации в пределах прав пользователя",
        parameters=[
            OpenApiParameter("territory", str, description="код территории"),
            OpenApiParameter("q", str, description="поиск по названию или логину"),
        ],
        responses=OrganizationSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = registry.organization_list(
            api_scope(request),
            territory=request.query_params.get("territory"),
            search=request.query_params.get("q"),
        ).prefetch_related("in_depth_subjects")
        return Response(OrganizationSerializer(qs, many=True).data)


class OrganizationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Организация по логину", responses=OrganizationSerializer)
    def get(self, request: Request, code: str) -> Response:
        org = registry.organization_get(api_scope(request), code)
        return Response(OrganizationSerializer(org).data)


class AssessmentListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Работы каталога с заданиями, шкалами и источниками порогов",
        parameters=[OpenApiParameter("procedure", str), OpenApiParameter("year", int)],
        responses=dict,
    )
    def get(self, request: Request) -> Response:
        year = request.query_params.get("year")
        qs = assessment_list(
            procedure=request.query_params.get("procedure") or None,
            year=int(year) if year and year.isdigit() else None,
        )
        return Response([assessment_dict(a) for a in qs])


class AssessmentDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Работа каталога", responses=dict)
    def get(self, request: Request, pk: int) -> Response:
        from django.shortcuts import get_object_or_404

        return Response(assessment_dict(get_object_or_404(assessment_list(), pk=pk)))


class ParameterListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Методические параметры с источниками", responses=dict)
    def get(self, request: Request) -> Response:
        return Response(
            [
                {
                    "code": p.code,
                    "name": p.name,
                    "value": p.value,
                    "unit": p.unit,
                    "valid_from": p.valid_from,
                    "source": source_dict(p.source),
                }
                for p in parameters_current()
            ]
        )


class PublicSummaryApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Открытые сводные данные по территориям", responses=dict)
    def get(self, request: Request) -> Response:
        return Response([row.__dict__ for row in registry.public_summary()])
