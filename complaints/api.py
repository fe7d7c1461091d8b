"""Tickets and return visits over the API (served at /api/v1/<tenant>/tickets/ and
/api/v1/<tenant>/return-visits/). An invalid workflow step is a 409; a step the caller's role
may not make (Django's ``PermissionDenied`` from the actions) is the API's 403 through
``core.api.errors.exception_handler``."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api.parsers import JSONParser
from core.api.serializers import ModelSerializer, Serializer
from core.api.views import TenantViewSet
from core.models import Store
from core.money import MAX_POINTS
from membership.models import Member

from . import actions
from .models import (
    Attachment,
    CompensationKind,
    RecordedVia,
    ReturnVisit,
    Status,
    Ticket,
    TicketEvent,
)


class TicketEventSerializer(ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["type", "actor_label", "from_status", "to_status", "note", "created_at"]


class AttachmentSerializer(ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "content_type", "size", "original_name", "uploaded_at"]


class TicketSerializer(ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects, required=False, allow_null=True
    )
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects, required=False, allow_null=True
    )
    overdue = serializers.SerializerMethodField()
    events = TicketEventSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "kind",
            "channel",
            "member",
            "contact_name",
            "contact_phone",
            "store",
            "description",
            "priority",
            "assignee",
            "status",
            "resolution",
            "deadline_days",
            "due_at",
            "overdue",
            "escalation",
            "created_at",
            "replied_at",
            "closed_at",
            "rating",
            "rating_comment",
            "recorded_via",
            "events",
            "attachments",
        ]
        read_only_fields = [
            "id",
            "assignee",
            "status",
            "resolution",
            "due_at",
            "escalation",
            "created_at",
            "replied_at",
            "closed_at",
            "rating",
            "rating_comment",
            "recorded_via",
        ]

    def get_overdue(self, ticket) -> bool:
        return ticket.is_overdue()


class TransitionSerializer(Serializer):
    status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RatingSerializer(Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CompensationSerializer(Serializer):
    kind = serializers.ChoiceField(choices=CompensationKind.choices)
    points = serializers.IntegerField(min_value=0, max_value=MAX_POINTS, required=False, default=0)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )


class AssignSerializer(Serializer):
    assignee = serializers.IntegerField(allow_null=True)


class UploadSerializer(Serializer):
    file = serializers.FileField()


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """File, follow and work tickets. ``?member=<id>`` lists one member's tickets."""

    model = Ticket
    serializer_class = TicketSerializer
    read_capability = "complaints.record"
    write_capability = "complaints.record"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def scope_queryset(self, queryset):
        queryset = queryset.select_related("member", "store").prefetch_related(
            "events", "attachments"
        )
        member = self.request.query_params.get("member")
        if member and member.isdigit():
            queryset = queryset.filter(member_id=int(member))
        status_ = self.request.query_params.get("status")
        if status_:
            queryset = queryset.filter(status=status_)
        return queryset

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.setdefault("contact_name", "")
        data.setdefault("contact_phone", "")
        ticket = actions.do_file_ticket(data=data, actor=request.user, via=RecordedVia.API)
        return Response(self.get_serializer(ticket).data, status=status.HTTP_201_CREATED)

    def _respond(self, ticket):
        ticket = self.get_queryset().get(pk=ticket.pk)
        return Response(self.get_serializer(ticket).data)

    @extend_schema(request=TransitionSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        ticket = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = actions.do_transition(
            ticket,
            serializer.validated_data["status"],
            actor=request.user,
            note=serializer.validated_data["note"],
        )
        return self._respond(ticket)

    @extend_schema(request=RatingSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        ticket = self.get_object()
        serializer = RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = actions.do_rate(ticket, actor=request.user, **serializer.validated_data)
        return self._respond(ticket)

    @extend_schema(request=CompensationSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def compensate(self, request, pk=None):
        ticket = self.get_object()
        serializer = CompensationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.do_compensate(ticket, actor=request.user, **serializer.validated_data)
        return self._respond(ticket)

    @extend_schema(request=AssignSerializer, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        ticket = self.get_object()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user_id = serializer.validated_data["assignee"]
        assignee = None
        if user_id is not None:
            assignee = get_user_model().objects.filter(pk=user_id).first()
            if assignee is None:
                raise serializers.ValidationError({"assignee": ["Unknown staff member."]})
        actions.do_assign(ticket, assignee, actor=request.user)
        return self._respond(ticket)

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses=TicketSerializer)
    @action(detail=True, methods=["post"])
    def attachments(self, request, pk=None):
        ticket = self.get_object()
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.do_add_attachment(ticket, serializer.validated_data["file"], actor=request.user)
        return self._respond(ticket)


class ReturnVisitSerializer(ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects)
    ticket = serializers.PrimaryKeyRelatedField(
        queryset=Ticket.objects, required=False, allow_null=True
    )
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects, required=False, allow_null=True
    )

    class Meta:
        model = ReturnVisit
        fields = ["id", "member", "ticket", "store", "channel", "visited_at", "notes", "opinion"]
        read_only_fields = ["id"]


class ReturnVisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Return visits (回访); ``?member=<id>`` lists one member's."""

    model = ReturnVisit
    serializer_class = ReturnVisitSerializer
    read_capability = "complaints.record"
    write_capability = "complaints.record"

    def scope_queryset(self, queryset):
        member = self.request.query_params.get("member")
        if member and member.isdigit():
            queryset = queryset.filter(member_id=int(member))
        return queryset

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        visit = actions.do_record_return_visit(
            data=dict(serializer.validated_data), actor=request.user
        )
        return Response(self.get_serializer(visit).data, status=status.HTTP_201_CREATED)
