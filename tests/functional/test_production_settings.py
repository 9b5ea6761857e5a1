"""Production settings and headers: ``check --deploy`` clean in production mode; a
Content-Security-Policy with no inline script, and no inline script, event attribute or
style attribute in any page template; Permissions-Policy; ``Cache-Control: no-store`` on
the pages and API of health and money data; the API schema and docs for staff only."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import UserFactory, claims_family

BASE = Path(settings.BASE_DIR)


def production_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "DEBUG", "DJANGO_"))
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        FIELD_ENCRYPTION_KEY="5_C-mqgn0fNyNaO3CF7x8a2L2m3R8sS2nLxHkGGw-hk=",
        DATABASE_URL="postgres://staywell:secret@127.0.0.1:5432/staywell",
        REDIS_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="benefits.example.k12.ca.us",
        CSRF_TRUSTED_ORIGINS="https://benefits.example.k12.ca.us",
        **extra,
    )
    return env


def test_check_deploy_is_clean_in_production_mode():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_mode_redirects_to_https_with_hsts_behind_the_proxy():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_REDIRECT_EXEMPT)"
    )
    env = production_env(DJANGO_SETTINGS_MODULE="staywell.settings")
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE, env=env, capture_output=True, text=True
    )
    assert shown.stdout.strip() == (
        "True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https') True True ['^healthz$']"
    ), shown.stderr
    env["SECURE_PROXY_HEADER"] = "false"  # no proxy sets the header
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE, env=env, capture_output=True, text=True
    )
    assert " None " in shown.stdout, shown.stderr


# --- No inline script -----------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
EVENT_ATTRIBUTE = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S)
STYLE = re.compile(r"<[^>]*\sstyle\s*=|<style\b", re.I | re.S)


def page_templates() -> list[Path]:
    """Every template served as a page (PDF templates are for WeasyPrint only)."""
    roots = [BASE / "templates", *(BASE / app / "templates" for app in ("accounts", "claims"))]
    return sorted(
        path
        for root in roots
        if root.is_dir()
        for path in root.rglob("*.html")
        if "pdf" not in path.parts and not path.name.endswith("_pdf.html")
    )


def test_no_page_template_has_inline_script_event_attributes_or_style():
    offenders = []
    for path in page_templates():
        text = path.read_text(encoding="utf-8")
        for name, pattern in (
            ("inline script", INLINE_SCRIPT),
            ("event attribute", EVENT_ATTRIBUTE),
            ("style", STYLE),
        ):
            if pattern.search(text):
                offenders.append(f"{path.relative_to(BASE)}: {name}")
    assert offenders == []
    assert len(page_templates()) > 50  # the scan reads the templates


def test_the_scan_finds_what_it_refuses():
    assert INLINE_SCRIPT.search('<script>alert("x")</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/x.js"></script>')
    assert EVENT_ATTRIBUTE.search('<button type="button"\n  onclick="go()">')
    assert not EVENT_ATTRIBUTE.search('<input autocomplete="off" aria-controls="x">')
    assert STYLE.search('<div style="color: red">')


def test_the_apps_own_scripts_do_not_evaluate_strings():
    scripts = [
        path
        for path in BASE.glob("*/static/**/*.js")
        if "vendor" not in path.parts and ".venv" not in path.parts
    ]
    assert scripts
    for path in scripts:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\beval\(|new Function\(|\.innerHTML\s*=", text), path


# --- Headers --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_the_csp_and_permissions_policy(clerk_client):
    response = clerk_client.get("/employees/")
    policy = response["Content-Security-Policy"]
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    body = response.content.decode()
    assert not INLINE_SCRIPT.search(body) and not STYLE.search(body)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("clerk", "/employees/"),
        ("clerk", "/employees/{employee}/"),
        ("clerk", "/claims/"),
        ("clerk", "/api/v1/employees/{employee}/"),
        ("clerk", "/api/v1/claims/"),
        ("clerk", "/funds/"),
        ("superintendent", "/dashboard/"),
        ("superintendent", "/api/v1/funds/"),
        ("payroll", "/payroll/"),
        ("employee", "/my/"),
        ("employee", "/my/statement.pdf"),
        ("employee", "/api/v1/me/"),
    ],
)
def test_health_and_money_data_are_never_stored_by_caches(client, role, path):
    employee, _spouse, _child = claims_family()
    user = UserFactory(username=f"{role}-u", role=role)
    if role == "employee":
        employee.user = user
        employee.save(update_fields=["user"])
    client.force_login(user)
    response = client.get(path.format(employee=employee.pk))
    assert response.status_code == 200, response.content[:300]
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


# --- The API schema and docs: staff only ----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("clerk", 200),
        ("superintendent", 200),
        ("payroll", 200),
        ("administrator", 200),
        ("employee", 403),
        (None, 401),  # anonymous: sign in (token or session) first
    ],
)
def test_the_api_schema_and_docs_are_for_staff(client, path, role, status):
    if role:
        client.force_login(UserFactory(username=f"{role}-u", role=role))
    response = client.get(path)
    assert response.status_code == status
    if status == 200 and path == "/api/docs/":
        page = response.content.decode()
        assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in page
        assert not INLINE_SCRIPT.search(page)
        assert "https://" not in page  # nothing from another site
        assert "'unsafe-inline'" not in re.search(
            r"script-src[^;]*", response["Content-Security-Policy"]
        ).group(0)
        # Redoc styles the page at run time and parses the schema in a worker.
        assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
        assert "worker-src blob:" in response["Content-Security-Policy"]
