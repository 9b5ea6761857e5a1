"""REST endpoints of the claims app, registered on the /api/v1/ router.

Thin: parse with a serializer, call one service or selector, serialize the result. The
services raise ``django.core.exceptions.ValidationError``; ``staywell.api`` turns it into
a 400 with field errors, and the service's transaction leaves the database unchanged.

Who may do what: benefits clerks write (enter, preview, void, adjust, import, payment
runs); the superintendent and administrators read; an employee reads only their own
family's claims and deductible (another id answers 404, never 403); payroll nothing.

Decision: a possible duplicate (same administrator's claim number, or same family,
provider, date of service and allowed amount) answers **409 Conflict** with
``{"code": "duplicate", "detail": ..., "duplicates": [{"claim": <id>, ...}]}``: the
request was well-formed, it conflicts with an earlier claim; repeat it with
``"confirm_duplicate": true`` to save it anyway.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from accounts.models import Employee
from accounts.rules import parse_policy_year, policy_year_label
from claims import importer, remittance, selectors, services
from claims.models import (
    Claim,
    ClaimAdjustment,
    ClaimAttachment,
    ClaimEvent,
    ClaimLedgerEntry,
    PaymentRun,
    Remittance,
)
from claims.rules import ServiceCategory
from claims.selectors import ClaimFilters
from staywell.access_log import Kind, record_read
from staywell.api import (
    AchFileSerializer,
    AchRequestSerializer,
    QuickFieldsSerializer,
    StableOrderingFilter,
    query_date,
    query_int,
)
from staywell.jobs import job_get_for_user
from staywell.roles import CLAIM_READERS, CLAIM_VIEWERS, CLAIM_WRITERS, HasRole, has_role
from staywell.views import ach_download

MONEY = {"max_digits": 14, "decimal_places": 2}
SERVICE_CATEGORY_HELP = "|".join(category.value for category in ServiceCategory)


@extend_schema_field({"type": "string", "format": "decimal", "example": "120.00"})
class MoneyInputField(serializers.CharField):
    """Dollars and cents as a string ("120.00"); checked by the service (R-CL2)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault("trim_whitespace", True)
        super().__init__(**kwargs)


# ---------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------


class SplitSerializer(serializers.Serializer):
    trust_fund = serializers.DecimalField(**MONEY, help_text="Paid by the trust fund")
    employee = serializers.DecimalField(**MONEY, help_text="The employee's own deductible")
    carrier = serializers.DecimalField(**MONEY, help_text="Forwarded to the carrier")


class ClaimSerializer(QuickFieldsSerializer):
    """A claim and its current split. A plain serializer with declared fields: the API
    answers a clerk's claim in a few milliseconds (a ModelSerializer rebuilds its fields
    from the model on every response)."""

    id = serializers.IntegerField(read_only=True)
    employer = serializers.IntegerField(source="employer_id", read_only=True)
    employee = serializers.IntegerField(
        source="employee_id", read_only=True, help_text="The policyholder (the family)"
    )
    patient = serializers.IntegerField(
        source="patient_id", read_only=True, allow_null=True, help_text="null: the employee"
    )
    patient_name = serializers.CharField(read_only=True)
    date_of_service = serializers.DateField(read_only=True)
    policy_year = serializers.SerializerMethodField()
    provider = serializers.CharField(read_only=True)
    payee = serializers.IntegerField(
        source="payee_id",
        read_only=True,
        allow_null=True,
        help_text="The payee of the directory who is paid (found by the provider's name)",
    )
    admin_claim_number = serializers.CharField(read_only=True)
    service_category = serializers.CharField(
        read_only=True, help_text=f"{SERVICE_CATEGORY_HELP}; blank: not given"
    )
    billed = serializers.DecimalField(**MONEY, read_only=True)
    allowed = serializers.DecimalField(**MONEY, read_only=True)
    # Plain strings (the values are listed) so that the schema's enum names stay unique.
    status = serializers.CharField(read_only=True, help_text="|".join(Claim.Status.values))
    denied_reason = serializers.CharField(read_only=True)
    tier = serializers.CharField(read_only=True, help_text="The family's tier on the day")
    split = serializers.SerializerMethodField()
    forwarded_at = serializers.DateTimeField(read_only=True, allow_null=True)
    payment_transaction = serializers.IntegerField(
        source="payment_transaction_id", read_only=True, allow_null=True
    )
    received_on = serializers.DateField(read_only=True, help_text="The date received")
    paid_on = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="The date paid: the date of its trust-fund payment (null: nothing paid)",
    )
    duplicate_of = serializers.IntegerField(
        source="duplicate_of_id", read_only=True, allow_null=True
    )
    source = serializers.CharField(read_only=True, help_text="|".join(Claim.Source.values))
    entered_at = serializers.DateTimeField(read_only=True)
    void_reason = serializers.CharField(read_only=True)
    voided_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_policy_year(self, claim: Claim) -> str:
        """R-PY1: the policy year of the date of service, e.g. 1984-85."""
        return policy_year_label(claim.policy_year)

    @extend_schema_field(SplitSerializer)
    def get_split(self, claim: Claim) -> dict[str, Any]:
        return {
            "trust_fund": f"{claim.trust_fund_amount:.2f}",
            "employee": f"{claim.employee_amount:.2f}",
            "carrier": f"{claim.carrier_amount:.2f}",
        }


class ClaimEventSerializer(serializers.ModelSerializer):
    user = serializers.SerializerMethodField()

    class Meta:
        model = ClaimEvent
        fields = ["at", "action", "message", "user"]

    def get_user(self, event: ClaimEvent) -> str | None:
        return event.user.get_username() if event.user else None


class ClaimAdjustmentSerializer(serializers.ModelSerializer):
    cause = serializers.IntegerField(source="cause_id")
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = ClaimAdjustment
        fields = [
            "id",
            "kind",
            "reason",
            "cause",
            "allowed_before",
            "allowed_after",
            "trust_fund_delta",
            "employee_delta",
            "carrier_delta",
            "created_by",
            "created_at",
        ]

    def get_created_by(self, adjustment: ClaimAdjustment) -> str | None:
        return adjustment.created_by.get_username() if adjustment.created_by else None


class LedgerEntrySerializer(serializers.ModelSerializer):
    transaction = serializers.IntegerField(source="transaction_id")
    payee = serializers.CharField(source="payee.name")
    payment_run = serializers.SerializerMethodField()

    class Meta:
        model = ClaimLedgerEntry
        fields = ["transaction", "kind", "amount", "payee", "payment_run"]

    def get_payment_run(self, entry: ClaimLedgerEntry) -> int | None:
        return entry.payment_run.number if entry.payment_run else None


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ClaimAttachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at", "url"]

    def get_url(self, attachment: ClaimAttachment) -> str:
        return reverse("claims:attachment", args=[attachment.pk])


class ClaimDetailSerializer(ClaimSerializer):
    events = serializers.SerializerMethodField()
    adjustments = serializers.SerializerMethodField()
    ledger_entries = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()

    @extend_schema_field(ClaimEventSerializer(many=True))
    def get_events(self, claim: Claim) -> Any:
        return ClaimEventSerializer(self._history(claim)["events"], many=True).data

    @extend_schema_field(ClaimAdjustmentSerializer(many=True))
    def get_adjustments(self, claim: Claim) -> Any:
        return ClaimAdjustmentSerializer(self._history(claim)["adjustments"], many=True).data

    @extend_schema_field(LedgerEntrySerializer(many=True))
    def get_ledger_entries(self, claim: Claim) -> Any:
        return LedgerEntrySerializer(self._history(claim)["entries"], many=True).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, claim: Claim) -> Any:
        return AttachmentSerializer(self._history(claim)["attachments"], many=True).data

    def _history(self, claim: Claim) -> dict[str, Any]:
        cache = self.context.setdefault("_history", {})
        if claim.pk not in cache:
            cache[claim.pk] = selectors.claim_history(claim)
        return cache[claim.pk]


class ClaimInputSerializer(QuickFieldsSerializer):
    employee = serializers.IntegerField(
        required=False, allow_null=True, help_text="The policyholder's id (the family)"
    )
    patient = serializers.IntegerField(
        required=False, allow_null=True, help_text="A dependent's id; null: the employee"
    )
    date_of_service = serializers.DateField(required=False, allow_null=True)
    provider = serializers.CharField(required=False, allow_blank=True, help_text="Who is paid")
    admin_claim_number = serializers.CharField(
        required=False, allow_blank=True, help_text="The claims administrator's claim number"
    )
    billed = MoneyInputField(help_text="Dollars and cents, e.g. 150.00")
    allowed = MoneyInputField(help_text="Dollars and cents allowed (R-CL2); at most billed")

    def service_kwargs(self) -> dict[str, Any]:
        data = self.validated_data
        return {
            "employee": data.get("employee"),
            "patient": data.get("patient"),
            "date_of_service": data.get("date_of_service"),
            "provider": data.get("provider", ""),
            "admin_claim_number": data.get("admin_claim_number", ""),
            "billed": data.get("billed", ""),
            "allowed": data.get("allowed", ""),
        }


class ClaimCreateSerializer(ClaimInputSerializer):
    confirm_duplicate = serializers.BooleanField(
        default=False, help_text="Save although it looks like an earlier claim"
    )
    payee = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="A payee of the directory; default: the one of the provider's name",
    )
    received_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The date the claim was received: not in the future nor before the date "
        "of service; default: the date paid",
    )
    paid_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The date paid (the payment run's date): not in the future, nor in a "
        "closed month of the employer's ledger; default today",
    )
    service_category = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=f"Optional, the kind of care: {SERVICE_CATEGORY_HELP}",
    )

    def date_kwargs(self) -> dict[str, Any]:
        return {
            "received_on": self.validated_data.get("received_on"),
            "paid_on": self.validated_data.get("paid_on"),
        }


class DuplicateSerializer(serializers.Serializer):
    claim = serializers.IntegerField(source="claim_id")
    admin_claim_number = serializers.CharField()
    status = serializers.CharField()
    date_of_service = serializers.DateField()
    allowed = serializers.DecimalField(**MONEY)
    reason = serializers.CharField()


class DuplicateResponseSerializer(serializers.Serializer):
    code = serializers.CharField(help_text='Always "duplicate"')
    detail = serializers.CharField()
    duplicates = DuplicateSerializer(many=True)


class FamilyDeductibleSerializer(serializers.Serializer):
    employee = serializers.IntegerField(source="employee_id", help_text="The policyholder")
    policy_year = serializers.CharField(source="label")
    deductible = serializers.DecimalField(**MONEY)
    used = serializers.DecimalField(**MONEY, source="absorbed", help_text="Absorbed (R-CL1)")
    remaining = serializers.DecimalField(**MONEY)
    trust_fund_paid = serializers.DecimalField(**MONEY)
    employee_paid = serializers.DecimalField(**MONEY)
    carrier_paid = serializers.DecimalField(**MONEY)
    claim_count = serializers.IntegerField()


class PreviewSerializer(serializers.Serializer):
    employee = serializers.IntegerField(help_text="The policyholder (after R-EL11)")
    patient = serializers.IntegerField(allow_null=True)
    patient_name = serializers.CharField()
    policy_year = serializers.CharField()
    tier = serializers.CharField()
    denied_reason = serializers.CharField(allow_null=True)
    split = SplitSerializer()
    family_before = FamilyDeductibleSerializer()
    family_after = FamilyDeductibleSerializer()
    duplicates = DuplicateSerializer(many=True)


CORRECTION_DATE_HELP = (
    "The business date of the correction, its reversals' date: default today; not in the "
    "future, not before the claim was paid, not in a closed month of the employer's ledger"
)


class VoidSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Required")
    effective_date = serializers.DateField(
        required=False, allow_null=True, help_text=CORRECTION_DATE_HELP
    )


class AdjustSerializer(serializers.Serializer):
    allowed = MoneyInputField(help_text="The new allowed amount")
    reason = serializers.CharField(allow_blank=True, help_text="Required")
    effective_date = serializers.DateField(
        required=False, allow_null=True, help_text=CORRECTION_DATE_HELP
    )


class PaymentRunCreateSerializer(serializers.Serializer):
    paid_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The run's date (its checks'): it takes the payments dated on or before "
        "it; default today",
    )


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The administrator's CSV (see /claims/import/)")


class ImportResultSerializer(serializers.Serializer):
    job = serializers.UUIDField(allow_null=True)
    status = serializers.CharField()
    status_url = serializers.CharField(allow_null=True)
    page_url = serializers.CharField(allow_null=True)
    rows = serializers.IntegerField()
    new = serializers.IntegerField()
    skipped = serializers.IntegerField()


class ImportJobSerializer(serializers.Serializer):
    job = serializers.UUIDField(source="pk")
    status = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    percent = serializers.IntegerField()
    message = serializers.CharField()
    errors = serializers.ListField(child=serializers.DictField())


class PaymentRunSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    register_csv = serializers.SerializerMethodField()
    register_pdf = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text="|".join(PaymentRun.Status.values))

    class Meta:
        model = PaymentRun
        fields = [
            "number",
            "status",
            "total",
            "check_count",
            "claim_count",
            "paid_on",
            "created_by",
            "created_at",
            "issued_at",
            "register_csv",
            "register_pdf",
        ]

    def get_created_by(self, run: PaymentRun) -> str | None:
        return run.created_by.get_username() if run.created_by else None

    def get_register_csv(self, run: PaymentRun) -> str:
        return reverse("claims:payment_run_csv", args=[run.number])

    def get_register_pdf(self, run: PaymentRun) -> str:
        return reverse("claims:payment_run_pdf", args=[run.number])


class RegisterLineSerializer(serializers.Serializer):
    claim = serializers.IntegerField(source="claim_id")
    admin_claim_number = serializers.CharField()
    employee_name = serializers.CharField()
    patient_name = serializers.CharField()
    date_of_service = serializers.DateField()
    amount = serializers.DecimalField(**MONEY)
    received_on = serializers.DateField(help_text="The claim's date received")
    paid_on = serializers.DateField(help_text="The movement's ledger date (the date paid)")


class RegisterPayeeSerializer(serializers.Serializer):
    name = serializers.CharField()
    total = serializers.DecimalField(**MONEY)
    has_check = serializers.BooleanField()
    lines = RegisterLineSerializer(many=True)


class RegisterEmployerSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    total = serializers.DecimalField(**MONEY)
    check_count = serializers.IntegerField()
    payees = RegisterPayeeSerializer(many=True)


class PaymentRunDetailSerializer(PaymentRunSerializer):
    employers = serializers.SerializerMethodField()

    class Meta(PaymentRunSerializer.Meta):
        fields = [*PaymentRunSerializer.Meta.fields, "employers"]

    @extend_schema_field(RegisterEmployerSerializer(many=True))
    def get_employers(self, run: PaymentRun) -> Any:
        register = selectors.payment_run_register(run)
        return RegisterEmployerSerializer(register.employers, many=True).data


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def _duplicate_response(exc: services.DuplicateClaimError) -> Response:
    body = DuplicateResponseSerializer(
        {
            "code": "duplicate",
            "detail": "This claim looks like an earlier one; send confirm_duplicate=true to "
            "save it anyway.",
            "duplicates": exc.matches,
        }
    ).data
    return Response(body, status=status.HTTP_409_CONFLICT)


def _family(value: services.FamilyDeductible) -> dict[str, Any]:
    return FamilyDeductibleSerializer(value).data


def _year_param(request: Request, name: str = "year", *, required: bool = False) -> int | None:
    value = request.query_params.get(name)
    if not value:
        if required:
            raise ValidationError({name: ["Give the policy year, e.g. 1984-85."]})
        return None
    try:
        return parse_policy_year(value)
    except ValueError as exc:
        raise ValidationError({name: [str(exc)]}) from None


CLAIM_EXAMPLE = {
    "employee": 7,
    "patient": None,
    "date_of_service": "1984-10-15",
    "provider": "Ukiah Valley Medical Center",
    "admin_claim_number": "MC-1984-0412",
    "billed": "150.00",
    "allowed": "120.00",
    "received_on": "1984-10-22",
    "paid_on": "1984-11-05",
}

LIST_PARAMETERS = [
    OpenApiParameter("employer", OpenApiTypes.INT),
    OpenApiParameter("employee", OpenApiTypes.INT, description="The policyholder's id"),
    OpenApiParameter("search", OpenApiTypes.STR, description="Employee number or start of name"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=Claim.Status.values),
    OpenApiParameter("year", OpenApiTypes.STR, description="Policy year, e.g. 1984-85"),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="Date of service from"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Date of service to"),
]


# ---------------------------------------------------------------------------------------
# ViewSets
# ---------------------------------------------------------------------------------------


class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Medical claims: entered by clerks, split by the family's deductible, paid from the
    trust fund (R-CL1..R-CL6). An employee sees only their own family's claims."""

    permission_classes = [HasRole]
    roles = CLAIM_VIEWERS
    write_roles = CLAIM_WRITERS
    # ?ordering=-allowed,date_of_service: these fields only, the id last (stable pages).
    filter_backends: list = [StableOrderingFilter]
    ordering_fields = [
        "id",
        "admin_claim_number",
        "date_of_service",
        "received_on",
        "paid_on",
        "provider",
        "status",
        "billed",
        "allowed",
        "trust_fund_amount",
    ]
    ordering = ["-id"]
    queryset = Claim.objects.none()  # for the schema; get_queryset decides

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return ClaimDetailSerializer if self.action == "retrieve" else ClaimSerializer

    def get_queryset(self) -> Any:
        request = self.request
        status_value = request.query_params.get("status") or ""
        if status_value and status_value not in Claim.Status.values:
            raise ValidationError({"status": [f"Unknown status {status_value!r}."]})
        filters = ClaimFilters(
            employer_id=query_int(request, "employer"),
            employee_id=query_int(request, "employee"),
            employee=request.query_params.get("search", ""),
            status=status_value,
            policy_year=_year_param(request),
            date_from=query_date(request, "date_from"),
            date_to=query_date(request, "date_to"),
        )
        return selectors.claim_list(request.user, filters)

    def get_object(self) -> Claim:
        """The claim (404 unless the caller may see it); a read (GET) is noted in the
        access log."""
        claim = selectors.claim_get_for_user(self.request.user, self.kwargs["pk"])
        if self.request.method in ("GET", "HEAD"):
            record_read(self.request, Kind.CLAIM, object_id=claim.pk, employee_id=claim.employee_id)
        return claim

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        family = query_int(request, "employee")
        if family is not None:  # one family's claims
            record_read(request, Kind.FAMILY_CLAIMS, object_id=family, employee_id=family)
        return response

    @extend_schema(
        request=ClaimCreateSerializer,
        responses={
            201: ClaimSerializer,
            400: OpenApiResponse(description="Field errors; nothing saved"),
            409: DuplicateResponseSerializer,
        },
        examples=[
            OpenApiExample("A doctor's visit", value=CLAIM_EXAMPLE, request_only=True),
            OpenApiExample(
                "Saving a confirmed duplicate",
                value={**CLAIM_EXAMPLE, "confirm_duplicate": True},
                request_only=True,
            ),
        ],
        description="Enter a claim: it is split (R-CL1, R-CL3, R-CL4) and its trust-fund "
        "share paid in the same call, dated paid_on (default today). A claim of a past "
        "policy year paid now is a run-out claim (R-CL6). 400 with a field error for a "
        "date in a closed month; 409 when it looks like an earlier claim.",
    )
    def create(self, request: Request) -> Response:
        data = ClaimCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            claim = services.claim_enter(
                **data.service_kwargs(),
                entered_by=request.user,
                **data.date_kwargs(),
                payee=data.validated_data.get("payee"),
                service_category=data.validated_data.get("service_category"),
                confirm_duplicate=data.validated_data["confirm_duplicate"],
                source=Claim.Source.API,
            )
        except services.DuplicateClaimError as exc:
            return _duplicate_response(exc)
        return Response(ClaimSerializer(claim).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ClaimInputSerializer,
        responses={200: PreviewSerializer, 400: OpenApiResponse(description="Field errors")},
        examples=[OpenApiExample("Preview a visit", value=CLAIM_EXAMPLE, request_only=True)],
        description="The split the claim would get if saved now, and the family's deductible "
        "before and after; nothing is saved.",
    )
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        data = ClaimInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preview = services.claim_preview(**data.service_kwargs())
        draft = preview.draft
        body = {
            "employee": draft.policyholder.pk,
            "patient": draft.patient.pk if draft.patient else None,
            "patient_name": draft.patient_name,
            "policy_year": draft.policy_year_label,
            "tier": draft.tier.value,
            "denied_reason": preview.split.denied_reason,
            "split": {
                "trust_fund": preview.split.trust_fund,
                "employee": preview.split.employee,
                "carrier": preview.split.carrier,
            },
            "family_before": preview.family,
            "family_after": preview.family_after,
            "duplicates": preview.duplicates,
        }
        return Response(PreviewSerializer(body).data)

    @extend_schema(
        request=VoidSerializer,
        responses={200: ClaimDetailSerializer, 400: OpenApiResponse(description="Field errors")},
        examples=[
            OpenApiExample(
                "Billed twice", value={"reason": "Duplicate of MC-1984-0411"}, request_only=True
            )
        ],
        description="Void the claim (R-CL5): its payments are reversed and the family's other "
        "claims of the year re-split in their original order.",
    )
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        data = VoidSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = services.claim_void(
            claim=claim,
            reason=data.validated_data["reason"],
            voided_by=request.user,
            effective_date=data.validated_data.get("effective_date"),
        )
        return Response(ClaimDetailSerializer(claim, context={}).data)

    @extend_schema(
        request=AdjustSerializer,
        responses={200: ClaimDetailSerializer, 400: OpenApiResponse(description="Field errors")},
        examples=[
            OpenApiExample(
                "Corrected explanation of benefits",
                value={"allowed": "95.00", "reason": "Administrator's corrected EOB"},
                request_only=True,
            )
        ],
        description="Change the allowed amount (R-CL5): the family's claims of the year are "
        "re-split; every claim whose split changes gets an adjustment entry.",
    )
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        data = AdjustSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = services.claim_adjust(
            claim=claim,
            allowed=data.validated_data.get("allowed", ""),
            reason=data.validated_data["reason"],
            adjusted_by=request.user,
            effective_date=data.validated_data.get("effective_date"),
        )
        return Response(ClaimDetailSerializer(claim, context={}).data)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={
            202: ImportResultSerializer,
            200: ImportResultSerializer,
            # Each key only when it has errors (a field's own key otherwise).
            400: inline_serializer(
                "ImportErrors",
                {
                    "rows": serializers.ListField(child=serializers.DictField(), required=False),
                    "file": serializers.ListField(child=serializers.CharField(), required=False),
                },
            ),
        },
        description="Import the administrator's CSV: every row is checked (400 with the "
        "problems by row, nothing saved); then the claims are entered by a background job "
        "(202 with its id and status URL).",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_file(self, request: Request) -> Response:
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = importer.import_file(file=data.validated_data["file"], user=request.user)
        if result.errors:
            return Response(
                {
                    "file": [f"{len(result.errors)} problem(s) found; nothing was saved."],
                    "rows": result.errors,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        job = result.job
        body = {
            "job": job.pk if job else None,
            "status": job.status if job else "nothing to import",
            "status_url": reverse("claim-import-detail", args=[job.pk]) if job else None,
            "page_url": f"{reverse('claims:import')}?job={job.pk}" if job else None,
            "rows": result.rows,
            "new": result.new,
            "skipped": result.skipped,
        }
        code = status.HTTP_202_ACCEPTED if job else status.HTTP_200_OK
        return Response(ImportResultSerializer(body).data, status=code)


class ClaimImportViewSet(viewsets.GenericViewSet):
    """The progress of a claims import job (visible to the clerk who started it)."""

    permission_classes = [HasRole]
    roles = CLAIM_WRITERS
    serializer_class = ImportJobSerializer
    filter_backends: list = []
    lookup_value_regex = "[0-9a-f-]{36}"

    @extend_schema(responses=ImportJobSerializer)
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        job = job_get_for_user(user=request.user, job_id=pk)
        if job is None or job.kind != importer.JOB_KIND:
            raise NotFound("No such import.")
        return Response(ImportJobSerializer(job).data)


class PaymentRunAchActions(viewsets.GenericViewSet):
    """The ACH file (CCD) of a payment run: its figures (readers), made once and
    downloaded by benefits clerks (it holds full account numbers)."""

    @extend_schema(methods=["GET"], responses=AchFileSerializer)
    @extend_schema(
        methods=["POST"],
        request=AchRequestSerializer,
        responses={201: AchFileSerializer, 200: AchFileSerializer},
        description="Make the run's ACH file for the payees with a bank account (once: "
        "again, the same file answers 200).",
    )
    @action(detail=True, methods=["get", "post"])
    def ach(self, request: Request, number: str | None = None) -> Response:
        run = self.get_object()
        if request.method == "GET":
            if run.ach_file is None:
                raise NotFound("No ACH file was made for this run.")
            return Response(AchFileSerializer(run.ach_file).data)
        if not has_role(request.user, *CLAIM_WRITERS):
            raise PermissionDenied("ACH files are made by benefits clerks.")
        made_before = run.ach_file_id is not None
        data = AchRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ach = services.payment_run_ach(
            run=run, effective_date=data.validated_data.get("effective_date"), user=request.user
        )
        code = status.HTTP_200_OK if made_before else status.HTTP_201_CREATED
        return Response(AchFileSerializer(ach).data, status=code)

    @extend_schema(responses={(200, "text/plain"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], url_path="ach/file")
    def ach_file(self, request: Request, number: str | None = None) -> HttpResponse:
        if not has_role(request.user, *CLAIM_WRITERS):
            raise PermissionDenied("The ACH file is downloaded by benefits clerks.")
        run = self.get_object()
        if run.ach_file is None:
            raise NotFound("No ACH file was made for this run.")
        return ach_download(run.ach_file)


class PaymentRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, PaymentRunAchActions, viewsets.GenericViewSet
):
    """Payment runs: the trust fund's claim payments grouped per payee for the county to
    cut checks; the register per employer and payee."""

    permission_classes = [HasRole]
    roles = CLAIM_READERS
    write_roles = CLAIM_WRITERS
    filter_backends: list = []
    lookup_field = "number"
    queryset = PaymentRun.objects.select_related("created_by", "ach_file").order_by("-number")

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return PaymentRunDetailSerializer if self.action == "retrieve" else PaymentRunSerializer

    @extend_schema(
        request=PaymentRunCreateSerializer,
        responses={
            201: PaymentRunDetailSerializer,
            400: OpenApiResponse(description="Nothing to pay, or a bad date"),
        },
        examples=[
            OpenApiExample("Make a run", value={}, request_only=True),
            OpenApiExample("A run dated", value={"paid_on": "1984-11-05"}, request_only=True),
        ],
        description="Group every trust-fund claim payment not yet in a run and dated on or "
        "before the run's date into a new run.",
    )
    def create(self, request: Request) -> Response:
        data = PaymentRunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.payment_run_create(
            created_by=request.user, paid_on=data.validated_data.get("paid_on")
        )
        return Response(PaymentRunDetailSerializer(run).data, status=status.HTTP_201_CREATED)


class X12ProblemSerializer(serializers.Serializer):
    segment = serializers.IntegerField(allow_null=True, help_text="Position in the file (ISA = 1)")
    segment_id = serializers.CharField(help_text='e.g. "CLP"')
    element = serializers.CharField(help_text='e.g. "CLP03"; "" for the segment')
    message = serializers.CharField()


class RemittanceSerializer(serializers.ModelSerializer):
    job = serializers.UUIDField(source="job_id", read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True, help_text="|".join(Remittance.Status.values))
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Remittance
        fields = [
            "id",
            "sender",
            "control_number",
            "file_name",
            "status",
            "claims",
            "entered",
            "voided",
            "skipped",
            "created_at",
            "finished_at",
            "job",
            "progress",
        ]

    @extend_schema_field(ImportJobSerializer(allow_null=True))
    def get_progress(self, row: Remittance) -> Any:
        """The job's progress, and the problems by segment and element when refused."""
        return ImportJobSerializer(row.job).data if row.job else None


class RemittanceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The administrator's X12 835 (005010X221A1)")


class RemittanceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The claims administrator's 835 files: uploaded by benefits clerks, checked and
    imported by a background job (``claims.remittance``); read by claim readers."""

    permission_classes = [HasRole]
    roles = CLAIM_READERS
    write_roles = CLAIM_WRITERS
    serializer_class = RemittanceSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list = []
    queryset = Remittance.objects.select_related("job").order_by("-created_at", "-id")

    @extend_schema(
        request={"multipart/form-data": RemittanceUploadSerializer},
        responses={
            202: RemittanceSerializer,
            400: inline_serializer(
                "RemittanceProblems",
                {
                    "file": serializers.ListField(child=serializers.CharField(), required=False),
                    "problems": X12ProblemSerializer(many=True, required=False),
                },
            ),
            409: inline_serializer(
                "RemittanceImportedBefore",
                {"detail": serializers.CharField(), "remittance": RemittanceSerializer()},
            ),
        },
        description="Upload an 835: refused at once (400) when it is no X12 interchange or "
        "not from the claims administrator to the plan; 409 when the interchange (ISA06, "
        "ISA13) was imported before; else 202: the job checks it (problems by segment and "
        "element, nothing entered) and enters its claims. Follow `progress`.",
    )
    def create(self, request: Request) -> Response:
        data = RemittanceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = remittance.remittance_upload(file=data.validated_data["file"], user=request.user)
        if upload.duplicate is not None:
            row = upload.duplicate
            return Response(
                {
                    "detail": f"Interchange {row.control_number} from {row.sender} was "
                    "received before: an interchange is imported once.",
                    "remittance": RemittanceSerializer(row).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        if upload.problems or upload.remittance is None:
            return Response(
                {
                    "file": ["The file was refused: nothing was entered."],
                    "problems": [p.as_dict() for p in upload.problems],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            RemittanceSerializer(upload.remittance).data, status=status.HTTP_202_ACCEPTED
        )


class FamilyDeductibleView(APIView):
    """R-CL1: a family's deductible for a policy year: used, remaining, who paid."""

    permission_classes = [HasRole]
    roles = CLAIM_VIEWERS
    parser_classes = [JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "employee", OpenApiTypes.INT, required=True, description="Policyholder"
            ),
            OpenApiParameter("year", OpenApiTypes.STR, required=True, description="e.g. 1984-85"),
        ],
        responses={
            200: FamilyDeductibleSerializer,
            400: OpenApiResponse(description="Field errors"),
        },
    )
    def get(self, request: Request) -> Response:
        employee_id = query_int(request, "employee")
        if employee_id is None:
            raise ValidationError({"employee": ["Give the policyholder's id."]})
        year = _year_param(request, required=True)
        assert year is not None
        visible = Employee.objects.filter(pk=employee_id)
        if not has_role(request.user, *CLAIM_READERS):
            visible = visible.filter(user=request.user)
        if not visible.exists():
            raise NotFound("No such employee.")
        record_read(request, Kind.FAMILY_CLAIMS, object_id=employee_id, employee_id=employee_id)
        return Response(_family(selectors.family_deductible(employee_id, year)))


urlpatterns: list = [
    path("family-deductible/", FamilyDeductibleView.as_view(), name="family-deductible"),
]


def register(router: BaseRouter) -> None:
    """Register this app's viewsets on the shared router."""
    router.register("claims", ClaimViewSet, basename="claim")
    router.register("claim-imports", ClaimImportViewSet, basename="claim-import")
    router.register("payment-runs", PaymentRunViewSet, basename="payment-run")
    router.register("remittances", RemittanceViewSet, basename="remittance")
