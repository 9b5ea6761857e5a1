"""Pages that belong to no single app: home redirect, administration, health, errors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache

from staywell.health import health_report
from staywell.jobs import job_get_for_user
from staywell.roles import ROLE_HOME, Role, primary_role, role_required


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its own page after login."""
    role = primary_role(request.user)
    if role is None:
        return render(request, "no_role.html", status=403)
    try:
        return redirect(reverse(ROLE_HOME[role]))
    except NoReverseMatch:
        return render(request, "no_role.html", status=403)


@role_required(Role.ADMINISTRATOR)
def administration(request: HttpRequest) -> HttpResponse:
    return render(request, "administration.html", {"health": health_report()})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database, Redis and worker status as JSON; 503 when any is down. Public: no data."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)


@login_required
def job_status(request: HttpRequest, job_id: str) -> HttpResponse:
    """A job's progress: the full page, or the polled fragment for htmx."""
    job = job_get_for_user(user=request.user, job_id=job_id)
    if job is None:
        raise Http404("No such job")
    template = "partials/job_progress.html" if request.htmx else "job.html"
    return render(request, template, {"job": job})


@login_required
def job_download(request: HttpRequest, job_id: str) -> FileResponse:
    job = job_get_for_user(user=request.user, job_id=job_id)
    if job is None or not job.result:
        raise Http404("No file for this job")
    return FileResponse(job.result.open("rb"), as_attachment=True, filename=job.result_filename)
