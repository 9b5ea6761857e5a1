"""The forms of every page: USWDS classes on the widgets, rendered with Jinja2
(:class:`FormRenderer`), and after validation the error state with its aria links, so
that a screen reader hears the hint and the error.
A service's ``ValidationError`` goes back on the form with :func:`add_service_errors`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import renderers
from django.template import TemplateDoesNotExist

from staywell.money import MONEY_MAX_DIGITS

# The USWDS class of a widget (the first kind it is), else "usa-input".
WIDGET_CLASSES: tuple[tuple[type[forms.Widget], str], ...] = (
    (forms.RadioSelect, "usa-radio__input"),
    (forms.CheckboxInput, "usa-checkbox__input"),
    (forms.Select, "usa-select"),
    (forms.Textarea, "usa-textarea"),
    (forms.FileInput, "usa-file-input"),
)


class FormRenderer(renderers.Jinja2):
    """The settings' ``FORM_RENDERER``: form widgets rendered with Jinja2, from Django's own
    widget templates for it (the same markup as Django's engine gives, in half the time:
    the entry form's 13 fields in 2.3 ms, were 4.3). A template that exists for Django's
    engine only (the admin's widget wrappers) is rendered by Django's renderer.

    A field's USWDS form group (``{{ form.x.as_field_group }}`` in a page: label, hint,
    error, control) is ``templates/jinja2/partials/field.html``, rendered with Jinja2 too:
    as an include of Django's engine, it was a quarter of the entry screen's rendering."""

    field_template_name = "partials/field.html"

    @cached_property
    def engine(self) -> Any:
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [
                    Path(settings.BASE_DIR) / "templates" / "jinja2",
                    Path(renderers.__file__).parent / "jinja2",
                ],
                "NAME": "djangoforms",
                "OPTIONS": {},
            }
        )

    def get_template(self, template_name: str) -> Any:
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return _DJANGO_TEMPLATES.get_template(template_name)


_DJANGO_TEMPLATES = renderers.DjangoTemplates()


class MoneyField(forms.DecimalField):
    """A typed amount of money (R-PY2): at most 14 digits and 2 decimals (the money
    columns), not negative (``-0`` neither); ``NaN`` and ``Infinity`` are "Enter a number."
    Also the admin's form field for every ``DecimalField`` of the plan's settings."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        amount = super().clean(value)
        if amount is not None and amount.is_signed():
            raise ValidationError("The amount cannot be negative.", code="min_value")
        return amount


class UswdsForm(forms.Form):
    """USWDS classes on every visible widget; after validation, the error class,
    ``aria-invalid`` and ``aria-describedby`` (the hint, then the error). Ids follow each
    field's own id, the form's prefix included, as the field template writes them:
    ``<id>-hint`` and ``<id>-error``."""

    # service field name -> form field name (None: at the top of the form)
    service_fields: Mapping[str, str | None] = {}
    # the field template ends a required field's label in "*"
    mark_required = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            css = next((css for kind, css in WIDGET_CLASSES if isinstance(widget, kind)), "")
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css or 'usa-input'}".strip()
            if field.help_text:
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-hint"

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_errors()

    def mark_errors(self) -> None:
        """The error state of every field with errors (again after errors are added)."""
        for name in self.errors:
            if name not in self.fields:
                continue
            attrs = self.fields[name].widget.attrs
            if "usa-input--error" not in attrs.get("class", ""):
                attrs["class"] = f"{attrs.get('class', '')} usa-input--error".strip()
            attrs["aria-invalid"] = "true"
            auto_id = self[name].auto_id
            described = [f"{auto_id}-error"]
            if self.fields[name].help_text:
                described.insert(0, f"{auto_id}-hint")
            attrs["aria-describedby"] = " ".join(described)

    def add_service_errors(self, exc: ValidationError) -> None:
        """A service's refusal on this form, its field names mapped by ``service_fields``."""
        add_service_errors(self, exc, self.service_fields)

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, message) for the summary at the top: field errors link to the field
        (a radio group to its first button; a hidden field to nothing)."""
        items: list[tuple[str, str]] = []
        for name, errors in self.errors.items():
            anchor = ""
            if name in self.fields:
                widget = self.fields[name].widget
                if isinstance(widget, forms.RadioSelect):
                    anchor = f"{self[name].auto_id}_0"
                elif not isinstance(widget, forms.HiddenInput):
                    anchor = self[name].auto_id
            items.extend((anchor, str(error)) for error in errors)
        return items


def add_service_errors(
    form: forms.Form,
    exc: ValidationError,
    fields: Mapping[str, str | None] | None = None,
    *,
    onto: str = "",
) -> None:
    """A service's ``ValidationError`` on the form. Each message of a field dict goes on
    the form's field of that name (renamed by ``fields``; ``None`` or a name the form lacks:
    at the top); a list or a message goes at the top. With ``onto``, every message goes on
    that one field (``NON_FIELD_ERRORS``: the top) as one message, joined by "; "."""
    if onto:
        form.add_error(None if onto == NON_FIELD_ERRORS else onto, "; ".join(exc.messages))
    elif hasattr(exc, "error_dict"):
        renamed = fields or {}
        for name, errors in exc.message_dict.items():
            target = renamed.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
    if isinstance(form, UswdsForm):
        form.mark_errors()


class AchFileForm(UswdsForm):
    """The effective date of an ACH file (the day the bank credits the accounts)."""

    effective_date = forms.DateField(
        label="Effective date",
        required=False,
        help_text="The day the bank credits the accounts; blank: the next weekday.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )


class CodeForm(UswdsForm):
    """A form of one code, focused when the page opens; after a refusal the focus goes to
    the error summary instead (``site.js``)."""

    mark_required = False

    def mark_errors(self) -> None:
        super().mark_errors()
        if self.errors:
            self.fields["code"].widget.attrs.pop("autofocus", None)


class SecondFactorForm(CodeForm):
    """A code of the authenticator app (six digits), or one of the recovery codes."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The six digits your authenticator app shows now, or one recovery code.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class AppCodeForm(CodeForm):
    """The first code of an authenticator app being set up."""

    code = forms.CharField(
        label="Code from the app",
        max_length=20,
        help_text="After adding Stay-Well to the app, type the six digits it shows.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
