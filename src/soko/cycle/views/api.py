"""REST API of the management cycle: roadmaps and items, with the scoping of the pages (a
school user sees only the items its organization answers for)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from soko.accounts.scope import scope_for_user
from soko.cycle import selectors
from soko.cycle.models import RoadmapItem
from soko.cycle.occurrences import STATUS_LABELS


class RoadmapSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    direction = serializers.CharField()
    territory = serializers.CharField(source="territory.code")
    period_start = serializers.IntegerField(allow_null=True)
    period_end = serializers.IntegerField(allow_null=True)
    approving_document = serializers.CharField(source="approving_text")
    status = serializers.CharField()
    items = serializers.IntegerField(source="n_items", required=False)
    overdue = serializers.IntegerField(source="n_overdue", required=False)


class OccurrenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    period = serializers.CharField(source="label")
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(source="due", allow_null=True)
    status = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    roadmap = serializers.IntegerField(source="roadmap_id")
    section = serializers.SerializerMethodField()
    number = serializers.CharField()
    title = serializers.CharField()
    direction = serializers.CharField()
    deadline_text = serializers.CharField()
    schedule = serializers.JSONField()
    responsible = serializers.SerializerMethodField()
    indicator_text = serializers.CharField()
    indicator_code = serializers.CharField()
    baseline = serializers.FloatField(allow_null=True)
    target = serializers.FloatField(allow_null=True)
    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    occurrences = OccurrenceSerializer(many=True, source="occurrences.all")

    def get_section(self, obj: RoadmapItem) -> str | None:
        return obj.section.title if obj.section_id and obj.section else None

    def get_responsible(self, obj: RoadmapItem) -> list[dict[str, Any]]:
        return [
            {"label": r.label, "actor": r.actor.name, "kind": r.actor.kind}
            for r in obj.responsible.all()
        ]

    def get_status(self, obj: RoadmapItem) -> str:
        return selectors.effective_status(obj, timezone.localdate())

    def get_status_label(self, obj: RoadmapItem) -> str:
        return STATUS_LABELS[self.get_status(obj)]


def _items(request: Request) -> Any:
    scope = scope_for_user(getattr(request, "user", None))
    return (
        RoadmapItem.objects.filter(selectors.item_q(scope))
        .distinct()
        .select_related("section", "roadmap")
        .prefetch_related("responsible__actor", "occurrences")
        .order_by("roadmap_id", "position")
    )


class RoadmapListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Дорожные карты в пределах прав", responses=RoadmapSerializer(many=True))
    def get(self, request: Request) -> Response:
        scope = scope_for_user(request.user)
        return Response(RoadmapSerializer(selectors.roadmap_list(scope), many=True).data)


class RoadmapDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Дорожная карта с мероприятиями (видимыми пользователю)",
                   responses=dict)
    def get(self, request: Request, pk: int) -> Response:
        scope = scope_for_user(request.user)
        roadmap = selectors.roadmap_get(scope, pk)
        data = dict(RoadmapSerializer(roadmap).data)
        data["sections"] = [
            {"id": s.pk, "number": s.number, "title": s.title, "level": s.level,
             "parent": s.parent_id, "direction": s.direction}
            for s in roadmap.sections.order_by("position")
        ]
        data["items"] = ItemSerializer(_items(request).filter(roadmap=roadmap), many=True).data
        return Response(data)


class ItemListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Мероприятия в пределах прав",
        parameters=[
            OpenApiParameter("roadmap", int, description="номер дорожной карты"),
            OpenApiParameter("status", str, description="planned | in_progress | done | "
                                                        "overdue | cancelled"),
            OpenApiParameter("direction", str, description="код направления"),
        ],
        responses=ItemSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        qs = _items(request)
        roadmap = request.query_params.get("roadmap")
        if roadmap and roadmap.isdigit():
            qs = qs.filter(roadmap_id=int(roadmap))
        direction = request.query_params.get("direction")
        if direction:
            qs = qs.filter(direction=direction)
        rows = list(ItemSerializer(qs, many=True).data)
        status = request.query_params.get("status")
        if status:
            rows = [row for row in rows if row["status"] == status]
        return Response(rows)


class ItemDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Мероприятие", responses=ItemSerializer)
    def get(self, request: Request, pk: int) -> Response:
        scope = scope_for_user(request.user)
        selectors.item_get(scope, pk)  # 404 outside the scope
        return Response(ItemSerializer(_items(request).get(pk=pk)).data)
