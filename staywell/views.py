"""Pages that belong to no single app: home redirect, administration, health, errors.

Errors under ``/api/`` are JSON (``{"detail": ...}``, as DRF answers), never an HTML page:
an unknown path there is a JSON 404 with DEBUG on or off (:func:`api_not_found`, the last
``/api/`` route), and the 403, 404 and 500 handlers answer JSON for ``/api/`` paths.
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from drf_spectacular.views import SpectacularRedocView

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


def is_api(request: HttpRequest) -> bool:
    """Under ``/api/`` every answer is JSON, errors included."""
    return request.path_info.startswith("/api/")


def api_error(status: int, detail: str) -> JsonResponse:
    """An error of the API in DRF's shape: ``{"detail": ...}``."""
    return JsonResponse({"detail": detail}, status=status)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else ""
    if is_api(request):
        return api_error(403, message or "You do not have permission to perform this action.")
    return render(request, "403.html", {"message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api(request):
        return api_error(404, "Not found.")
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return api_error(500, "Server error: the request was not completed; nothing was saved.")
    return render(request, "500.html", status=500)


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any path under ``/api/`` that names no endpoint: a JSON 404, with DEBUG on too.
    A path that lacks only its final slash is redirected (GET) or named in the answer."""
    with_slash = f"{request.path_info}/"
    if not request.path_info.endswith("/") and _is_endpoint(with_slash):
        if request.method in ("GET", "HEAD"):
            query = request.META.get("QUERY_STRING", "")
            return redirect(f"{with_slash}?{query}" if query else with_slash, permanent=True)
        return api_error(404, f"Not found. The endpoint is {with_slash} (with the final slash).")
    return api_error(404, "Not found.")


def _is_endpoint(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return match.func is not api_not_found


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


def ach_download(ach: Any) -> HttpResponse:
    """An ACH file made (``vesting.models.AchFile``) as a download: the bank's format is
    plain text, 94-character lines ended by CRLF."""
    response = HttpResponse(
        ach.content.encode("ascii"), content_type="text/plain; charset=us-ascii"
    )
    response["Content-Disposition"] = f'attachment; filename="{ach.file_name}"'
    response["Cache-Control"] = "no-store"
    return response


@method_decorator(csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]}), "get")
class ApiDocsView(SpectacularRedocView):
    """The API's documentation (Redoc, served by the app) for the staff roles. Redoc
    styles its page at run time and parses the schema in a worker: this page's policy
    allows inline styles and blob: workers, still no inline or foreign script."""

    template_name = "api_docs.html"
