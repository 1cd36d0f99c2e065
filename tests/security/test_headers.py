"""Response headers on pages with PHI, and templates that a strict CSP can serve."""

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.factories import make_plan

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def phi_pages(own_client):
    plan = make_plan(own_client)
    return ["/", "/clients/", f"/clients/{own_client.pk}/", f"/plans/{plan.pk}/", f"/plans/{plan.pk}/compare/"]


def test_every_page_with_phi_says_no_store(clinician, login, phi_pages):
    web = login(clinician)
    for path in phi_pages:
        response = web.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], path


def test_htmx_fragments_and_posts_for_signed_in_people_say_no_store(clinician, own_client, login):
    web = login(clinician)
    response = web.post("/clients/", {"q": own_client.given_name}, headers={"HX-Request": "true"})
    assert own_client.given_name in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_csv_export_says_no_store(admin, login):
    response = login(admin).get("/accounts/audit/?format=csv")
    assert response["Content-Type"].startswith("text/csv") and "no-store" in response["Cache-Control"]


def test_content_security_policy_allows_no_inline_script_or_style(clinician, login, phi_pages):
    web = login(clinician)
    for path in phi_pages:
        policy = web.get(path)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'", path
        assert directives["style-src"] == "'self'", path
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_other_hardening_headers_are_present(clinician, login):
    response = login(clinician).get("/clients/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_hsts_is_on_in_production_settings():
    from config import settings as production

    if production.DEBUG:
        pytest.skip("the developer's .env turns DEBUG on")
    assert production.SECURE_HSTS_SECONDS >= 31_536_000 and production.SECURE_HSTS_INCLUDE_SUBDOMAINS


def test_templates_have_no_inline_script_style_or_event_handlers():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if "pdf" in path.relative_to(ROOT / "templates").parts:
            continue  # rendered to PDF by WeasyPrint on the server, never served to a browser
        text = path.read_text()
        for pattern in (r"<script(?![^>]*\bsrc=)", r"<style\b", r"\sstyle\s*=", r"\son[a-z]+\s*=", r"javascript:"):
            if re.search(pattern, text, re.IGNORECASE):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_rendered_pages_have_no_inline_script_or_style(clinician, login, phi_pages):
    web = login(clinician)
    for path in phi_pages:
        soup = BeautifulSoup(web.get(path).content, "html.parser")
        assert all(s.get("src") for s in soup.find_all("script")), path
        assert not soup.find_all("style"), path
        assert not soup.select("[style]"), path


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(clinician, login):
    import json

    soup = BeautifulSoup(login(clinician).get("/").content, "html.parser")
    config = json.loads(soup.find("meta", attrs={"name": "htmx-config"})["content"])
    assert config["includeIndicatorStyles"] is False and config["allowEval"] is False


def test_our_javascript_sets_no_inline_styles():
    script = (ROOT / "static" / "js" / "app.js").read_text()
    assert ".style." not in script and "setAttribute('style'" not in script and "innerHTML" not in script


def test_the_two_factor_setup_page_shows_its_qr_code_without_inline_style(admin, client):
    from tests.factories import PASSWORD

    client.post("/accounts/login/", {"username": admin.email, "password": PASSWORD})
    response = client.get("/accounts/two-factor/")
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.find("svg") is not None
    assert not soup.select("[style]") and not soup.find_all("style")
    assert "no-store" in response["Cache-Control"]
