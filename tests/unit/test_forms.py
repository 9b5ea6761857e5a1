"""The one form base of every page: USWDS classes and the aria links of errors."""

from __future__ import annotations

from django import forms

from staywell.forms import UswdsForm


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
