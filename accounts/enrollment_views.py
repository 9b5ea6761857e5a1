"""The carrier's 834 page (clerks and administrators): choose the month and the file,
follow the job, download the file once pyx12 found it valid."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts import enrollment
from accounts.forms import EnrollmentForm
from staywell.forms import add_service_errors
from staywell.jobs import job_get_for_user
from staywell.models import Job
from staywell.roles import MEMBER_WRITERS, role_required


@role_required(*MEMBER_WRITERS)
def enrollment_page(request: HttpRequest) -> HttpResponse:
    form = EnrollmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = enrollment.enrollment_request(
                month=form.cleaned_data["month"],
                kind=form.cleaned_data["kind"],
                employer=form.cleaned_data["employer"],
                user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(f"{reverse('accounts:enrollment')}?job={job.pk}")
    job = job_get_for_user(user=request.user, job_id=request.GET.get("job", ""))
    if job is not None and job.kind != enrollment.JOB_KIND:
        job = None
    recent = Job.objects.filter(kind=enrollment.JOB_KIND, created_by=request.user)[:10]
    context = {"form": form, "job": job, "recent": recent}
    return render(request, "accounts/enrollment.html", context, status=400 if form.errors else 200)
