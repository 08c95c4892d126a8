"""Production settings pass ``manage.py check --deploy``, and every page sends a strict CSP (issue 5).

The check runs in a subprocess with the environment of a production deployment (DEBUG off, a long
random SECRET_KEY, ALLOWED_HOSTS set and nothing else), the way the README starts the app.
"""

import json
import re
import secrets
import subprocess
import sys

import pytest

from .support.app_server import BASE_DIR, production_env

TEMPLATES = BASE_DIR / "templates"


def production(tmp_path, **extra):
    return production_env(
        database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        redis_url="redis://127.0.0.1:1/0",  # nothing listens: the deploy check of the drafts Redis is skipped
        media_root=tmp_path / "media",
        static_root=tmp_path / "static",
        var_dir=tmp_path / "var",
        secret_key=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="wizard.example.com",
        **extra,
    )


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_it_passes_the_deploy_check_with_production_settings(tmp_path):
    result = manage(production(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_it_fails_the_deploy_check_with_a_weak_production_setting(tmp_path):
    # The check above is not vacuous: a short key and no HSTS are reported.
    result = manage(production(tmp_path, SECRET_KEY="too-short", SECURE_HSTS_SECONDS="0"), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout  # SECRET_KEY
    assert "security.W004" in result.stderr + result.stdout  # HSTS


def test_it_configures_hsts_secure_cookies_csp_and_clickjacking_protection_in_production(tmp_path):
    script = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, 'preload': s.SECURE_HSTS_PRELOAD,"
        "'ssl_redirect': s.SECURE_SSL_REDIRECT, 'session_secure': s.SESSION_COOKIE_SECURE,"
        "'csrf_secure': s.CSRF_COOKIE_SECURE, 'session_httponly': s.SESSION_COOKIE_HTTPONLY,"
        "'frame': s.X_FRAME_OPTIONS, 'nosniff': s.SECURE_CONTENT_TYPE_NOSNIFF, 'debug': s.DEBUG,"
        "'middleware': s.MIDDLEWARE, 'csp': s.CONTENT_SECURITY_POLICY, 'silenced': s.SILENCED_SYSTEM_CHECKS}))"
    )
    result = manage(production(tmp_path), "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout.strip().splitlines()[-1])

    assert config["debug"] is False
    assert config["hsts"] >= 31536000 and config["subdomains"] and config["preload"]
    assert config["ssl_redirect"] and config["session_secure"] and config["csrf_secure"] and config["session_httponly"]
    assert config["frame"] == "DENY" and config["nosniff"]
    assert "django.middleware.clickjacking.XFrameOptionsMiddleware" in config["middleware"]
    assert "csp.middleware.CSPMiddleware" in config["middleware"]
    assert config["silenced"] == []
    directives = config["csp"]["DIRECTIVES"]
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for directive in ("default-src", "script-src", "style-src"):
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(directives.get(directive, []))
    assert not config["csp"].get("REPORT_ONLY"), "the policy is enforced, not only reported"


# --- the header on the pages ---------------------------------------------------------------------


def policy_of(response):
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.status_code} {response.get('Content-Type')}"
    return dict(
        (parts[0], parts[1:]) for parts in (item.split() for item in header.split(";") if item.strip())
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url,status",
    [
        ("/", 200),
        ("/projects/new/", 200),
        ("/accounts/login/", 200),
        ("/accounts/signup/", 200),
        ("/admin/login/", 200),
        ("/no/such/page/", 404),
        ("/projects/new/00000000-0000-4000-8000-000000000000/details/", 404),
    ],
)
def test_it_sends_the_content_security_policy_on_every_page(client, url, status):
    response = client.get(url)

    assert response.status_code == status
    policy = policy_of(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_it_sends_the_policy_on_the_wizard_steps_and_the_project_page(owner_client, pdf):
    from .wizard_helpers import complete_until_review, confirm, step_url

    draft_id = complete_until_review(owner_client, [pdf()])
    for step in ("details", "requirements", "sources", "review"):
        assert policy_of(owner_client.get(step_url(draft_id, step)))["script-src"] == ["'self'"]
    project_url = confirm(owner_client, draft_id)["Location"]
    assert policy_of(owner_client.get(project_url))["default-src"] == ["'self'"]


# --- the templates keep to the policy ---------------------------------------------------------------

INLINE = {
    "inline <script> (no src)": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> block": re.compile(r"<style\b", re.I),
    'style="" attribute': re.compile(r"\sstyle\s*=", re.I),
    "on*= event handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_it_needs_no_unsafe_inline_in_any_template():
    found = [
        f"{path.relative_to(BASE_DIR)}:{number}: {what}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        for what, pattern in INLINE.items()
        if pattern.search(line)
    ]
    assert found == [], "blocked by the CSP (script-src/style-src 'self'):\n" + "\n".join(found)


def test_it_loads_scripts_only_from_its_own_static_files():
    sources = [
        (path, match)
        for path in TEMPLATES.rglob("*.html")
        for match in re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", path.read_text())
    ]
    for path, source in sources:
        static = re.fullmatch(r"\{% static '([^']+)' %\}", source)
        assert static, f"{path.relative_to(BASE_DIR)} loads {source} from elsewhere"
        assert (BASE_DIR / "static" / static.group(1)).is_file(), f"{path.relative_to(BASE_DIR)}: {source} is missing"


@pytest.mark.django_db
def test_it_needs_no_unsafe_inline_on_the_admin_pages_staff_use(owner_client, pdf):
    from django.test import Client

    from projects.models import Project

    from .factories import UserFactory
    from .wizard_helpers import complete_until_review, confirm

    draft_id = complete_until_review(owner_client, [pdf()])
    confirm(owner_client, complete_until_review(owner_client, [pdf()]))
    project = Project.objects.get()
    staff = Client()
    staff.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    pages = [
        "/admin/", "/admin/sessions_store/draftrecord/", f"/admin/sessions_store/draftrecord/{draft_id}/",
        "/admin/projects/project/", f"/admin/projects/project/{project.pk}/change/", "/admin/auth/user/add/",
    ]
    for url in pages:
        response = staff.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        found = [what for what, pattern in INLINE.items() if pattern.search(text)]
        assert found == [], f"{url}: {found}"
        assert policy_of(response)["script-src"] == ["'self'"]
