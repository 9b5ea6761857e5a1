"""REST endpoints of go-live (``vesting.golive``), on the /api/v1/ router.

- ``GET go-lives/``, ``GET go-lives/{id}/``: the go-lives, their status, summary and job
  (administrator and superintendent).
- ``POST go-lives/`` (multipart ``file``, ``cutover``, ``confirm``): check the file; 400
  with every problem by row and column (nothing saved); 200 with the checked go-live
  waiting for confirmation, or with the go-live imported before from the same file
  (nothing posted again); with ``confirm=true``, 202: the import is queued (its job's
  progress is in the answer). Administrator only.
- ``POST go-lives/{id}/confirm/``: queue the import of a checked go-live (202; 200 when it
  was queued or imported already). Administrator only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from staywell.roles import GOLIVE_VIEW_ROLES, GOLIVE_WRITE_ROLES, HasRole
from vesting import golive
from vesting.models import GoLive


class GoLiveJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="queued, running, succeeded or failed.")
    percent = serializers.IntegerField()
    done = serializers.IntegerField(help_text="Employers posted.")
    total = serializers.IntegerField(help_text="Employers in the file.")
    message = serializers.CharField()
    errors = serializers.JSONField(help_text='[{"row": 3, "field": "amount", "message": "..."}]')


class GoLiveSerializer(serializers.ModelSerializer):
    status = serializers.CharField(help_text="checked, queued, completed or failed.")
    summary = serializers.JSONField(
        help_text=(
            'Per employer: {"code", "name", "employees", "years", "pending_years", '
            '"families_with_claims", "figures": {item: amount}}.'
        )
    )
    job = GoLiveJobSerializer(allow_null=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = GoLive
        fields = [
            "id",
            "cutover",
            "file_name",
            "status",
            "rows",
            "summary",
            "message",
            "job",
            "created_by",
            "created_at",
            "completed_at",
            "page_url",
        ]

    def get_page_url(self, obj: GoLive) -> str:
        return f"{reverse('vesting:golive')}?go_live={obj.pk}"


class GoLiveInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The go-live CSV (the page's template).")
    cutover = serializers.DateField(
        help_text="The month end the figures are as of, e.g. 1985-06-30."
    )
    confirm = serializers.BooleanField(
        default=False, help_text="Queue the import at once when the file checks."
    )


# Each key only when it has errors (and a field's own key, e.g. "cutover", otherwise).
ROW_ERRORS = inline_serializer(
    "GoLiveErrors",
    {
        "file": serializers.ListField(child=serializers.CharField(), required=False),
        "rows": serializers.ListField(child=serializers.DictField(), required=False),
    },
)
EXAMPLE = {
    "id": 1,
    "cutover": "1985-06-30",
    "file_name": "mendocino-1985.csv",
    "status": "completed",
    "rows": 41,
    "summary": [
        {
            "code": "MCS",
            "name": "Mendocino County Schools",
            "employees": 10,
            "years": 34,
            "pending_years": 2,
            "families_with_claims": 0,
            "figures": {"balance_forward": "173824.12", "interest_forward": "68672.45"},
        }
    ],
    "message": "MCS went live: 34 vested employee-years carried in.",
    "job": None,
    "created_by": "administrator",
    "created_at": "1985-07-05T09:00:00-07:00",
    "completed_at": "1985-07-05T09:00:04-07:00",
    "page_url": "/vesting/go-live/?go_live=1",
}


def _errors_response(check: golive.GoLiveCheck) -> Response:
    cutover = [e["message"] for e in check.errors if e["field"] == "cutover"]
    if cutover:
        return Response({"cutover": cutover}, status=status.HTTP_400_BAD_REQUEST)
    return Response(
        {
            "file": [f"{len(check.errors)} problem(s) found; nothing was saved."],
            "rows": check.errors,
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


@extend_schema_view(
    list=extend_schema(summary="The go-lives, newest first"),
    retrieve=extend_schema(
        summary="A go-live: status, summary per employer, the import job's progress",
        examples=[OpenApiExample("Imported", value=EXAMPLE, response_only=True)],
    ),
)
class GoLiveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [HasRole]
    roles = GOLIVE_VIEW_ROLES
    write_roles = GOLIVE_WRITE_ROLES
    serializer_class = GoLiveSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[GoLive]:
        return golive.golive_list()

    @extend_schema(
        summary="Check a go-live file; with confirm=true, queue its import",
        request={"multipart/form-data": GoLiveInputSerializer},
        responses={200: GoLiveSerializer, 202: GoLiveSerializer, 400: ROW_ERRORS},
        description="Every row is checked and every employer's figures tied (400 with the "
        "problems by row and column, nothing saved). The same file for the same cut-over "
        "is one go-live: sent again, it is answered with the first (200) and posts nothing.",
    )
    def create(self, request: Request) -> Response:
        data = GoLiveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = data.validated_data
        check = golive.golive_check(
            file=values["file"], cutover=values["cutover"], user=request.user
        )
        if check.errors:
            return _errors_response(check)
        go_live = check.go_live
        assert go_live is not None
        if values["confirm"] and go_live.status == GoLive.Status.CHECKED:
            go_live = golive.golive_confirm(go_live=go_live, user=request.user)
            return Response(self._data(go_live), status=status.HTTP_202_ACCEPTED)
        return Response(self._data(go_live), status=status.HTTP_200_OK)

    @extend_schema(
        summary="Queue the import of a checked go-live",
        request=None,
        responses={200: GoLiveSerializer, 202: GoLiveSerializer},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        go_live = self.get_object()
        queued = go_live.status == GoLive.Status.CHECKED
        try:
            go_live = golive.golive_confirm(go_live=go_live, user=request.user)
        except ValidationError as exc:
            return Response({"go_live": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
        code = status.HTTP_202_ACCEPTED if queued else status.HTTP_200_OK
        return Response(self._data(go_live), status=code)

    def _data(self, go_live: GoLive) -> dict[str, Any]:
        fresh = golive.golive_list().get(pk=go_live.pk)
        return GoLiveSerializer(fresh, context=self.get_serializer_context()).data


def register(router: BaseRouter) -> None:
    router.register("go-lives", GoLiveViewSet, basename="go-live")
