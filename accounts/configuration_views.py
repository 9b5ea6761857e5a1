"""The administrator's pages: plan years and their settings, premium schedules,
employers and programs, users and their roles. Thin: a form parses, one service
(``accounts.configuration`` or ``accounts.services``) decides, the page shows its refusal
inline and saves nothing. Only administrators (``staywell.roles``) reach these pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import configuration, exchange, rules
from accounts import configuration_forms as forms
from accounts.forms import ServiceForm
from accounts.models import Employee, Employer, PlanYear, Program
from accounts.signals import plan_year_use
from staywell import signin
from staywell.roles import (
    PLAN_CONFIGURATION_WRITERS,
    USER_ADMINISTRATORS,
    Role,
    primary_role,
    remember_roles,
    role_required,
)


def _posted(request: HttpRequest) -> tuple[Any, ...]:
    return (request.POST,) if request.method == "POST" else (None,)


def _form_page(
    request: HttpRequest, form: ServiceForm, *, section: tuple[str, str], done: Any
) -> HttpResponse:
    """A valid POST calls the service through ``form.save``; its refusal goes back on the
    form; success redirects to ``done(result)``."""
    if request.method == "POST" and form.is_valid():
        try:
            result = form.save(user=request.user)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, form.success_message(result))
            return redirect(done(result))
    context = {"form": form, "section_label": section[0], "section_url": section[1]}
    return render(request, "accounts/configuration/form.html", context)


def _plan_year(policy_year: str) -> PlanYear:
    try:
        start_year = rules.parse_policy_year_param(policy_year)
    except ValueError:
        raise Http404("No such plan year.") from None
    return get_object_or_404(PlanYear, start_year=start_year)


PLAN_YEARS = ("Plan years", "accounts:plan_year_list")
TRADING_PARTNERS = ("Trading partners", "accounts:trading_partners")
EMPLOYERS = ("Employers and programs", "accounts:employer_list")
USERS = ("Users", "accounts:user_list")


@role_required(*PLAN_CONFIGURATION_WRITERS)
def plan_year_list(request: HttpRequest) -> HttpResponse:
    years = PlanYear.objects.order_by("-start_year").prefetch_related("premium_schedules")
    return render(request, "accounts/configuration/plan_year_list.html", {"years": years})


@role_required(*PLAN_CONFIGURATION_WRITERS)
def plan_year_create(request: HttpRequest) -> HttpResponse:
    form = forms.PlanYearForm(*_posted(request))
    return _form_page(request, form, section=PLAN_YEARS, done=_plan_year_url)


def _plan_year_url(plan_year: PlanYear) -> str:
    return reverse("accounts:plan_year_detail", args=[plan_year.label])


@role_required(*PLAN_CONFIGURATION_WRITERS)
def plan_year_detail(request: HttpRequest, policy_year: str) -> HttpResponse:
    plan_year = _plan_year(policy_year)
    order = {tier.value: index for index, tier in enumerate(configuration.SCHEDULE_TIERS)}
    rows = sorted(
        plan_year.premium_schedules.all(), key=lambda row: (row.effective_from, order[row.tier])
    )
    revisions: dict[Any, list[Any]] = {}
    for row in rows:
        revisions.setdefault(row.effective_from, []).append(row)
    context = {
        "plan_year": plan_year,
        "revisions": sorted(revisions.items()),
        "locks": configuration.plan_year_locks(plan_year),
        "closed_months": sorted(plan_year_use(plan_year.start_year).closed_months),
    }
    return render(request, "accounts/configuration/plan_year_detail.html", context)


@role_required(*PLAN_CONFIGURATION_WRITERS)
def plan_year_edit(request: HttpRequest, policy_year: str) -> HttpResponse:
    plan_year = _plan_year(policy_year)
    form = forms.PlanYearForm(*_posted(request), plan_year=plan_year)
    return _form_page(request, form, section=PLAN_YEARS, done=_plan_year_url)


@role_required(*PLAN_CONFIGURATION_WRITERS)
def schedule_revise(request: HttpRequest, policy_year: str) -> HttpResponse:
    plan_year = _plan_year(policy_year)
    form = forms.ScheduleRevisionForm(*_posted(request), plan_year=plan_year)
    return _form_page(
        request, form, section=PLAN_YEARS, done=lambda _rows: _plan_year_url(plan_year)
    )


@role_required(*PLAN_CONFIGURATION_WRITERS)
def employer_list(request: HttpRequest) -> HttpResponse:
    employers = Employer.objects.order_by("name").prefetch_related(
        Prefetch("programs", queryset=Program.objects.order_by("code"))
    )
    return render(request, "accounts/configuration/employer_list.html", {"employers": employers})


def _employers(_result: Any) -> str:
    return reverse("accounts:employer_list")


@role_required(*PLAN_CONFIGURATION_WRITERS)
def employer_create(request: HttpRequest) -> HttpResponse:
    form = forms.EmployerForm(*_posted(request))
    return _form_page(request, form, section=EMPLOYERS, done=_employers)


@role_required(*PLAN_CONFIGURATION_WRITERS)
def employer_edit(request: HttpRequest, employer_id: int) -> HttpResponse:
    employer = get_object_or_404(Employer, pk=employer_id)
    form = forms.EmployerForm(*_posted(request), employer=employer)
    return _form_page(request, form, section=EMPLOYERS, done=_employers)


@role_required(*PLAN_CONFIGURATION_WRITERS)
def program_create(request: HttpRequest) -> HttpResponse:
    initial = {"employer": request.GET.get("employer")}
    form = forms.ProgramForm(*_posted(request), initial=initial)
    return _form_page(request, form, section=EMPLOYERS, done=_employers)


@role_required(*PLAN_CONFIGURATION_WRITERS)
def program_edit(request: HttpRequest, program_id: int) -> HttpResponse:
    program = get_object_or_404(Program, pk=program_id)
    form = forms.ProgramForm(*_posted(request), program=program)
    return _form_page(request, form, section=EMPLOYERS, done=_employers)


@role_required(*USER_ADMINISTRATORS)
def user_list(request: HttpRequest) -> HttpResponse:
    users = list(
        User.objects.order_by("username").prefetch_related(
            "groups", Prefetch("employee", queryset=Employee.objects.select_related("employer"))
        )
    )
    locked = signin.locked_usernames()
    second_factor = signin.users_with_second_factor()
    for user in users:
        user.locked = user.username in locked
        user.second_factor = user.pk in second_factor
        remember_roles(user, [group.name for group in user.groups.all()])
        role = primary_role(user)
        user.role_label = role.label if role else "No role"
        user.linked = getattr(user, "employee", None)
    return render(request, "accounts/configuration/user_list.html", {"users": users})


def _user_url(user: User) -> str:
    return reverse("accounts:user_list")


@role_required(*USER_ADMINISTRATORS)
def user_create(request: HttpRequest) -> HttpResponse:
    form = forms.UserCreateForm(*_posted(request), initial={"role": Role.CLERK.value})
    return _form_page(request, form, section=USERS, done=_user_url)


@role_required(*USER_ADMINISTRATORS)
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    form = forms.UserEditForm(*_posted(request), user=user)
    return _form_page(request, form, section=USERS, done=_user_url)


@require_POST
@role_required(*USER_ADMINISTRATORS)
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    """Lift a lockout after wrong passwords (``staywell.signin``)."""
    user = get_object_or_404(User, pk=user_id)
    signin.user_unlock(user=user)
    messages.success(request, f"{user.username} can sign in again.")
    return redirect("accounts:user_list")


@require_POST
@role_required(*USER_ADMINISTRATORS)
def user_two_factor_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """A lost phone: the user's app and recovery codes are removed; they set up a new
    app at their next sign-in (a staff role must)."""
    user = get_object_or_404(User, pk=user_id)
    signin.second_factor_remove(user=user)
    messages.success(
        request, f"The two-factor sign-in of {user.username} is reset: they set it up again."
    )
    return redirect("accounts:user_list")


@role_required(*USER_ADMINISTRATORS)
def user_password(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(User, pk=user_id)
    form = forms.UserPasswordForm(*_posted(request), user=user)
    return _form_page(request, form, section=USERS, done=_user_url)


@role_required(*PLAN_CONFIGURATION_WRITERS)
def trading_partners(request: HttpRequest) -> HttpResponse:
    """The identifiers of the plan's X12 and ACH files (``accounts.exchange``)."""
    form = forms.TradingPartnersForm(*_posted(request), partners=exchange.trading_partners())
    return _form_page(
        request,
        form,
        section=TRADING_PARTNERS,
        done=lambda _row: reverse("accounts:trading_partners"),
    )
