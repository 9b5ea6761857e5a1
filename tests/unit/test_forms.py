"""The one form base of every page: USWDS classes and the aria links of errors."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from staywell.forms import UswdsForm, add_service_errors


class _VoidForm(UswdsForm):
    reason = forms.CharField(help_text="Why the claim is voided")
    kind = forms.ChoiceField(choices=[("void", "Void")], widget=forms.RadioSelect)
    key = forms.CharField(widget=forms.HiddenInput)


def test_widgets_get_their_uswds_class_and_hidden_ones_none():
    form = _VoidForm()
    assert form.fields["reason"].widget.attrs["class"] == "usa-input"
    assert form.fields["kind"].widget.attrs["class"] == "usa-radio__input"
    assert "class" not in form.fields["key"].widget.attrs
    assert form.fields["reason"].widget.attrs["aria-describedby"] == "id_reason-hint"


def test_errors_link_the_hint_and_the_error_by_the_fields_own_id_prefix_included():
    form = _VoidForm(data={}, prefix="void")
    assert not form.is_valid()
    reason = form.fields["reason"].widget.attrs
    assert reason["class"] == "usa-input usa-input--error"
    assert reason["aria-invalid"] == "true"
    assert reason["aria-describedby"] == "id_void-reason-hint id_void-reason-error"
    form.mark_errors()  # again after a service's errors are added: no second error class
    assert reason["class"] == "usa-input usa-input--error"
    # The summary links each message to its field: a radio group to its first button, a
    # hidden field to nothing.
    assert [anchor for anchor, _ in form.error_summary()] == [
        "id_void-reason",
        "id_void-kind_0",
        "",
    ]


# --- A service's ValidationError on the form ------------------------------------------


class _AdjustForm(UswdsForm):
    allowed = forms.CharField(help_text="In dollars")
    reason = forms.CharField()

    service_fields = {"amount": "allowed", "claim": None}


def _bound(form_class=_AdjustForm, **kwargs):
    data = {"adjust-allowed": "12.00", "adjust-reason": "typo"}
    form = form_class(data=data, prefix="adjust", **kwargs)
    assert form.is_valid()
    return form


def test_a_field_dict_goes_on_the_fields_it_names_renamed_or_at_the_top():
    form = _bound()
    form.add_service_errors(
        ValidationError(
            {
                "amount": "The amount is too large.",
                "reason": ["Give a reason.", "At most 250 characters."],
                "claim": "The claim is voided.",
                "employee": "The employee left.",
            }
        )
    )
    assert form.errors["allowed"] == ["The amount is too large."]
    assert form.errors["reason"] == ["Give a reason.", "At most 250 characters."]
    assert form.non_field_errors() == ["The claim is voided.", "The employee left."]
    attrs = form.fields["allowed"].widget.attrs
    assert attrs["aria-invalid"] == "true"
    assert attrs["aria-describedby"] == "id_adjust-allowed-hint id_adjust-allowed-error"
    assert "usa-input--error" in form.fields["reason"].widget.attrs["class"]


def test_a_message_or_a_list_goes_at_the_top():
    form = _bound()
    add_service_errors(form, ValidationError("The month is closed."))
    add_service_errors(form, ValidationError(["First.", "Second."]))
    assert form.non_field_errors() == ["The month is closed.", "First.", "Second."]
    assert set(form.errors) == {NON_FIELD_ERRORS}


def test_a_mapping_given_to_the_function_renames_and_a_plain_form_works_too():
    class Plain(forms.Form):
        premium = forms.CharField()

    form = Plain(data={"premium": "1"})
    assert form.is_valid()
    add_service_errors(form, ValidationError({"amount": "Too much."}), {"amount": "premium"})
    assert form.errors == {"premium": ["Too much."]}


def test_onto_puts_every_message_on_one_field_as_one_message():
    form = _bound()
    error = ValidationError({"month": "Not closed.", "format": "Choose CSV or XLSX."})
    add_service_errors(form, error, onto="reason")
    assert form.errors["reason"] == ["Not closed.; Choose CSV or XLSX."]
    assert "id_adjust-reason-error" in form.fields["reason"].widget.attrs["aria-describedby"]
    top = _bound()
    add_service_errors(top, ValidationError(["A.", "B."]), onto=NON_FIELD_ERRORS)
    assert top.non_field_errors() == ["A.; B."]
