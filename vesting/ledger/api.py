"""REST endpoints of the ledger, on the /api/v1/ router.

- ``GET funds/`` (``?employer=``, ``?as_of=``), ``GET funds/{id}/``, ``GET funds/pool/``
- ``GET ledger/accounts/{id}/``, ``GET ledger/accounts/{id}/statement/``
  (``?date_from=&date_to=&kind=``, paginated, running balance)
- ``GET ledger/transactions/`` (``?employer=&kind=&employee=``), ``GET ledger/transactions/{id}/``
- ``POST ledger/interest/``, ``POST ledger/expenses/``: post to the district account (R-FU2)
- ``GET|POST ledger/month-closes/``: months closed; close a month

Reads: superintendent, administrator, clerk. Writes: superintendent, administrator.
Writes take an idempotency key (body ``idempotency_key`` or header ``Idempotency-Key``):
a replay answers as the first call did (201, the same body) with the header
``Idempotent-Replayed: true``, concurrent calls included (the database decides which call
posted: ``Transaction.replayed``). A month closed again answers the same way.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from accounts.models import Employer
from staywell.api import MoneyField, query_date, query_int
from staywell.roles import LEDGER_POST_ROLES, LEDGER_VIEW_ROLES, HasRole
from vesting import ledger
from vesting.ledger import selectors
from vesting.models import (
    PLAN_FUNDS,
    Account,
    Fund,
    FundKind,
    MonthClose,
    Posting,
    Transaction,
    TransactionKind,
)

MONEY = {"max_digits": 14, "decimal_places": 2}


# --- Serializers --------------------------------------------------------------------------


class FundSerializer(serializers.ModelSerializer):
    employer_code = serializers.CharField(source="employer.code", read_only=True)
    fund_kind = serializers.ChoiceField(source="kind", choices=FundKind.choices, read_only=True)
    name = serializers.CharField(source="get_kind_display", read_only=True)
    normal_balance = serializers.CharField(read_only=True)
    balance = serializers.DecimalField(**MONEY, read_only=True, help_text="Dollars, normal side.")

    class Meta:
        model = Fund
        fields = [
            "id",
            "employer",
            "employer_code",
            "fund_kind",
            "name",
            "normal_balance",
            "balance",
        ]


class AccountSerializer(serializers.ModelSerializer):
    fund_kind = serializers.ChoiceField(
        source="fund.kind", choices=FundKind.choices, read_only=True
    )
    normal_balance = serializers.CharField(read_only=True, help_text="debit or credit")
    employer = serializers.IntegerField(source="fund.employer_id", read_only=True)
    balance = serializers.DecimalField(**MONEY, read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "fund",
            "fund_kind",
            "employer",
            "employee",
            "normal_balance",
            "never_negative",
            "balance",
        ]


class PostingSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.__str__", read_only=True)
    fund_kind = serializers.ChoiceField(
        source="account.fund.kind", choices=FundKind.choices, read_only=True
    )

    class Meta:
        model = Posting
        fields = ["id", "account", "account_name", "fund_kind", "direction", "amount"]


class TransactionSerializer(serializers.ModelSerializer):
    postings = PostingSerializer(many=True, read_only=True)
    earned_by = serializers.CharField(
        read_only=True, help_text="Interest: the fund that earned it (a fund kind), else blank."
    )
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = [
            "id",
            "employer",
            "kind",
            "effective_date",
            "memo",
            "reference",
            "employee",
            "period_start",
            "period_end",
            "earned_by",
            "reverses",
            "reversed_by",
            "idempotency_key",
            "posted_by",
            "posted_at",
            "postings",
        ]

    def get_reversed_by(self, obj: Transaction) -> int | None:
        reversal = getattr(obj, "reversed_by", None)
        return reversal.pk if reversal else None


class StatementEntrySerializer(serializers.ModelSerializer):
    transaction_kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")
    reference = serializers.CharField(source="transaction.reference")
    signed_amount = serializers.DecimalField(
        **MONEY, help_text="+ raises the balance, - lowers it (normal side)."
    )
    running_balance = serializers.DecimalField(**MONEY, help_text="Balance after this entry.")

    class Meta:
        model = Posting
        fields = [
            "id",
            "transaction",
            "transaction_kind",
            "effective_date",
            "memo",
            "reference",
            "direction",
            "amount",
            "signed_amount",
            "running_balance",
        ]


class _EntryInputSerializer(serializers.Serializer):
    employer = serializers.PrimaryKeyRelatedField(queryset=Employer.objects.all())
    amount = MoneyField(min_value=Decimal("0.01"), help_text="Dollars and cents, more than zero.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    effective_date = serializers.DateField(required=False, help_text="Default: period end.")
    idempotency_key = serializers.CharField(required=False, max_length=200, allow_blank=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["period_start"] > attrs["period_end"]:
            raise serializers.ValidationError(
                {"period_end": "The period cannot end before it starts."}
            )
        return attrs


class InterestInputSerializer(_EntryInputSerializer):
    earned_by = serializers.ChoiceField(choices=[(k.value, k.label) for k in PLAN_FUNDS])
    memo = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ExpenseInputSerializer(_EntryInputSerializer):
    description = serializers.CharField(max_length=300)
    payee_name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class MonthCloseSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonthClose
        fields = [
            "id",
            "employer",
            "year",
            "month",
            "employer_amount",
            "employee_amount",
            "employee_count",
            "transaction",
            "closed_by",
            "closed_at",
        ]
        read_only_fields = fields


class MonthCloseInputSerializer(serializers.Serializer):
    employer = serializers.PrimaryKeyRelatedField(queryset=Employer.objects.all())
    year = serializers.IntegerField(min_value=1900, max_value=2999)
    month = serializers.IntegerField(min_value=1, max_value=12)


# --- Views --------------------------------------------------------------------------------

AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="Balance at the end of this day (default: now)."
)
EMPLOYER = OpenApiParameter("employer", OpenApiTypes.INT, description="Only this employer.")


def _as_of(request: Request) -> date | None:
    return query_date(request, "as_of")


class _LedgerReadMixin:
    permission_classes = [HasRole]
    roles = LEDGER_VIEW_ROLES


@extend_schema_view(
    list=extend_schema(
        parameters=[AS_OF, EMPLOYER],
        summary="Funds with their balances",
        examples=[
            OpenApiExample(
                "A General Deductible Trust Fund",
                value=[
                    {
                        "id": 1,
                        "employer": 1,
                        "employer_code": "MCOE",
                        "fund_kind": "general_trust",
                        "name": "General Deductible Trust Fund",
                        "normal_balance": "debit",
                        "balance": "80000.00",
                    }
                ],
                response_only=True,
            )
        ],
    ),
    retrieve=extend_schema(parameters=[AS_OF], summary="One fund and its balance"),
)
class FundViewSet(_LedgerReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = FundSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[Fund]:
        return selectors.funds_with_balances(
            as_of=_as_of(self.request), employer_id=query_int(self.request, "employer")
        )

    @extend_schema(
        parameters=[AS_OF],
        summary="The pool's balances per fund kind",
        responses=inline_serializer(
            "PoolBalances",
            {kind: serializers.DecimalField(**MONEY) for kind in FundKind.values},
        ),
        examples=[
            OpenApiExample(
                "Pool",
                value={
                    "general_trust": "81234.50",
                    "vested_trust": "40210.00",
                    "district": "5120.33",
                    "employer_budget": "250000.00",
                    "carrier": "0.00",
                    "payees": "123435.17",
                    "bank": "0.00",
                },
                response_only=True,
            )
        ],
    )
    @action(detail=False)
    def pool(self, request: Request) -> Response:
        balances = selectors.pool_fund_balances(as_of=_as_of(request))
        return Response({kind: f"{value:.2f}" for kind, value in balances.items()})


class StatementPagination(PageNumberPagination):
    page_size = 50

    def __init__(self) -> None:
        super().__init__()
        self.opening = None
        self.range: selectors.StatementRange | None = None

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        assert self.range is not None
        response.data["date_from"] = self.range.date_from
        response.data["date_to"] = self.range.date_to
        response.data["opening_balance"] = f"{self.opening:.2f}"
        return response


@extend_schema_view(retrieve=extend_schema(parameters=[AS_OF], summary="A ledger account"))
class LedgerAccountViewSet(_LedgerReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AccountSerializer
    queryset = Account.objects.none()

    def get_queryset(self) -> QuerySet[Account]:
        return selectors.accounts_with_balances(None, as_of=_as_of(self.request)).order_by("id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # not offered
        return Response({"detail": "Open an account from its fund."}, status=404)

    @extend_schema(
        summary="An account's statement with a running balance",
        parameters=[
            OpenApiParameter(
                "date_from", OpenApiTypes.DATE, description="Default: policy year start."
            ),
            OpenApiParameter("date_to", OpenApiTypes.DATE, description="Default: latest entry."),
            OpenApiParameter("kind", OpenApiTypes.STR, enum=TransactionKind.values),
        ],
        responses=StatementEntrySerializer(many=True),
        examples=[
            OpenApiExample(
                "A contribution",
                value={
                    "count": 1,
                    "next": None,
                    "previous": None,
                    "date_from": "1984-07-01",
                    "date_to": "1984-07-01",
                    "opening_balance": "0.00",
                    "results": [
                        {
                            "id": 1,
                            "transaction": 1,
                            "transaction_kind": "employer_contribution",
                            "effective_date": "1984-07-01",
                            "memo": "Trust-fund contributions for July 1984",
                            "reference": "",
                            "direction": "debit",
                            "amount": "6667.20",
                            "signed_amount": "6667.20",
                            "running_balance": "6667.20",
                        }
                    ],
                },
                response_only=True,
            )
        ],
    )
    @action(detail=True, pagination_class=StatementPagination)
    def statement(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        kind = request.query_params.get("kind") or None
        if kind and kind not in TransactionKind.values:
            raise ApiValidationError({"kind": f"Unknown kind: {kind}."})
        period = selectors.statement_range(
            account, query_date(request, "date_from"), query_date(request, "date_to")
        )
        opening, entries = selectors.account_statement(
            account, period.date_from, period.date_to, kind
        )
        paginator = self.paginator
        assert isinstance(paginator, StatementPagination)
        paginator.opening, paginator.range = opening, period
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(StatementEntrySerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="Ledger transactions, latest first",
        parameters=[
            EMPLOYER,
            OpenApiParameter("kind", OpenApiTypes.STR, enum=TransactionKind.values),
            OpenApiParameter("employee", OpenApiTypes.INT),
        ],
    ),
    retrieve=extend_schema(summary="A transaction with its postings and cause"),
)
class TransactionViewSet(_LedgerReadMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = TransactionSerializer

    def get_queryset(self) -> QuerySet[Transaction]:
        queryset = selectors.transactions(
            employer_id=query_int(self.request, "employer"),
            kind=self.request.query_params.get("kind") or None,
            employee_id=query_int(self.request, "employee"),
        )
        return queryset


class _PostingView(GenericAPIView):
    permission_classes = [HasRole]
    roles = LEDGER_POST_ROLES
    write_roles = LEDGER_POST_ROLES

    def _key(self, request: Request, data: dict[str, Any]) -> str | None:
        return data.get("idempotency_key") or request.headers.get("Idempotency-Key") or None

    def _respond(self, tx: Transaction) -> Response:
        return replay_response(
            TransactionSerializer(selectors.transaction_detail(tx.pk)).data, tx.replayed
        )


REPLAYED_HEADER = "Idempotent-Replayed"
REPLAYED = OpenApiParameter(
    REPLAYED_HEADER,
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=[201],
    enum=["true"],
    description="Present on a replay: the call was made before (same key or month), "
    "nothing new was posted, and the body is the first answer's.",
)


def replay_response(body: Any, replayed: bool) -> Response:
    """The first answer (201 and its body), marked when this call was a replay."""
    response = Response(body, status=status.HTTP_201_CREATED)
    if replayed:
        response[REPLAYED_HEADER] = "true"
    return response


INTEREST_EXAMPLE = OpenApiExample(
    "Quarterly interest",
    value={
        "employer": 1,
        "amount": "1520.75",
        "period_start": "1985-04-01",
        "period_end": "1985-06-30",
        "earned_by": "general_trust",
        "idempotency_key": "interest-MCOE-1985Q2",
    },
    request_only=True,
)


class InterestView(_PostingView):
    serializer_class = InterestInputSerializer

    @extend_schema(
        summary="Post interest earned (to the district account, R-FU2)",
        request=InterestInputSerializer,
        responses={201: TransactionSerializer},
        parameters=[REPLAYED],
        examples=[INTEREST_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        serializer = InterestInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = self._key(request, data)
        tx = ledger.post_interest(
            employer=data["employer"],
            amount=data["amount"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            earned_by=data["earned_by"],
            effective_date=data.get("effective_date"),
            memo=data.get("memo", ""),
            posted_by=request.user,
            idempotency_key=key,
        )
        return self._respond(tx)


class ExpenseView(_PostingView):
    serializer_class = ExpenseInputSerializer

    @extend_schema(
        summary="Post an administrative expense (from the district account)",
        request=ExpenseInputSerializer,
        responses={201: TransactionSerializer},
        parameters=[REPLAYED],
        examples=[
            OpenApiExample(
                "Claims administrator's fee",
                value={
                    "employer": 1,
                    "amount": "350.00",
                    "period_start": "1985-06-01",
                    "period_end": "1985-06-30",
                    "description": "Claims administration, June",
                    "payee_name": "Pacific Claims Services",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = ExpenseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        key = self._key(request, data)
        tx = ledger.post_administrative_expense(
            employer=data["employer"],
            amount=data["amount"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            description=data["description"],
            payee_name=data.get("payee_name", ""),
            effective_date=data.get("effective_date"),
            posted_by=request.user,
            idempotency_key=key,
        )
        return self._respond(tx)


class MonthCloseView(GenericAPIView):
    permission_classes = [HasRole]
    roles = LEDGER_VIEW_ROLES
    write_roles = LEDGER_POST_ROLES
    serializer_class = MonthCloseSerializer

    def get_queryset(self) -> QuerySet[MonthClose]:
        return selectors.month_closes(query_int(self.request, "employer"))

    @extend_schema(
        summary="Months closed, latest first",
        parameters=[EMPLOYER],
        responses=MonthCloseSerializer(many=True),  # paginated, as get() answers
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MonthCloseSerializer(page, many=True).data)

    @extend_schema(
        summary="Close an employer's month: post its trust-fund contributions once",
        request=MonthCloseInputSerializer,
        responses={201: MonthCloseSerializer},
        parameters=[REPLAYED],
        examples=[
            OpenApiExample(
                "July 1984", value={"employer": 1, "year": 1984, "month": 7}, request_only=True
            )
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = MonthCloseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        close = ledger.month_close(
            employer_id=data["employer"].pk,
            year=data["year"],
            month=data["month"],
            closed_by=request.user,
        )
        return replay_response(MonthCloseSerializer(close).data, close.replayed)


urlpatterns = [
    path("ledger/interest/", InterestView.as_view(), name="ledger-interest"),
    path("ledger/expenses/", ExpenseView.as_view(), name="ledger-expenses"),
    path("ledger/month-closes/", MonthCloseView.as_view(), name="ledger-month-closes"),
]


def register(router: BaseRouter) -> None:
    """Register the ledger's viewsets on the shared router (from :mod:`vesting.api`)."""
    router.register("funds", FundViewSet, basename="fund")
    router.register("ledger/accounts", LedgerAccountViewSet, basename="ledger-account")
    router.register("ledger/transactions", TransactionViewSet, basename="ledger-transaction")
