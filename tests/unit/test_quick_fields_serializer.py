"""``staywell.api.QuickFieldsSerializer``: the claim serializers' fields copied shallowly
from the declared ones. Each serializer must still validate and answer with fields bound
to itself alone, as DRF's deep copy gives."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from staywell.api import QuickFieldsSerializer


class Line(QuickFieldsSerializer):
    amount = serializers.DecimalField(max_digits=6, decimal_places=2)


class Claim(QuickFieldsSerializer):
    provider = serializers.CharField(max_length=12)
    codes = serializers.ListField(child=serializers.CharField(max_length=3))
    line = Line()
    total = serializers.SerializerMethodField()

    def get_total(self, claim: dict) -> str:
        return f"{self.context['currency']} {claim['line']['amount']}"


def test_two_serializers_validate_each_their_own_input():
    good = Claim(data={"provider": "Ukiah Valley", "codes": ["A1"], "line": {"amount": "12.50"}})
    bad = Claim(data={"provider": "Mendocino Coast", "codes": ["A1B2"], "line": {"amount": "x"}})

    assert good.is_valid(), good.errors
    assert not bad.is_valid()
    assert bad.errors == {
        "provider": ["Ensure this field has no more than 12 characters."],
        "codes": {0: ["Ensure this field has no more than 3 characters."]},
        "line": {"amount": ["A valid number is required."]},
    }
    assert good.validated_data["line"]["amount"] == Decimal("12.50")


def test_the_copies_are_bound_to_their_own_serializer_and_the_declared_fields_stay_free():
    first, second = Claim(), Claim()

    assert first.fields["provider"] is not second.fields["provider"]
    assert first.fields["provider"].parent is first
    assert second.fields["line"].fields["amount"].parent is second.fields["line"]
    assert first.fields["codes"].child.parent is first.fields["codes"]
    assert first.fields["codes"].child is not second.fields["codes"].child
    assert Claim._declared_fields["provider"].parent is None


def test_an_answer_reads_its_own_context():
    claim = {"provider": "Ukiah Valley", "codes": [], "line": {"amount": "7.00"}}

    dollars = Claim(claim, context={"currency": "USD"}).data
    pesos = Claim(claim, context={"currency": "MXN"}).data

    assert (dollars["total"], pesos["total"]) == ("USD 7.00", "MXN 7.00")
    assert dollars["line"] == {"amount": "7.00"}
