"""Before a bulk export starts the page says how many plans it takes; from its first frame the
progress reads "0 of N · 0 %" with an empty bar, and an export of nothing says so."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.template.loader import render_to_string

from audit.models import AccessLog
from plans.lifecycle import transitions
from records import exports
from tests.factories import ClientFactory, make_plan


@pytest.fixture
def signed_plans(clinician, colleague):
    plans = [
        transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician))),
        transitions.submit_plan(actor=colleague, plan=make_plan(ClientFactory(primary_clinician=colleague))),
    ]
    make_plan(ClientFactory(primary_clinician=clinician))  # a draft: not exported, not counted
    return plans


def _count_text(html: str) -> str:
    return " ".join(BeautifulSoup(html, "html.parser").select_one("#export-scope-count").get_text().split())


def _first_frame(export) -> BeautifulSoup:
    context = {"export": export, "progress": exports.progress(export), "failures": []}
    return BeautifulSoup(render_to_string("records/_export_progress.html", context), "html.parser")


def test_the_count_before_starting_is_the_exports_own_scope(admin, clinician, signed_plans):
    assert exports.count_in_scope(actor=admin) == 2
    assert exports.count_in_scope(actor=admin, clinician=clinician) == 1
    assert exports.count_in_scope(actor=admin, date_from=dt.date(2030, 1, 1)) == 0
    # The same plans the run takes, through the same door.
    export = exports.request_export(actor=admin, clinician=clinician)
    assert list(exports.plans_in_scope(export)) == [signed_plans[0]]


def test_the_count_is_one_query(admin, signed_plans, django_assert_num_queries):
    exports.count_in_scope(actor=admin)  # the admin's memberships, read once per user
    with django_assert_num_queries(1):
        exports.count_in_scope(actor=admin)


def test_the_export_page_says_how_many_plans_the_chosen_filters_take(admin, clinician, signed_plans, login):
    web = login(admin)
    assert _count_text(web.get("/plans/exports/").content.decode()) == "2 signed plans will be exported."
    # What the form sends as the filters change (htmx GET with the filter fields only).
    filters = {"client_status": "", "clinician": clinician.pk, "date_from": "", "date_to": ""}
    chosen = web.get("/plans/exports/", filters)
    assert _count_text(chosen.content.decode()) == "1 signed plan will be exported."
    later = web.get("/plans/exports/", {"date_from": "2030-01-01"})
    assert "nothing to export" in _count_text(later.content.decode())


def test_bad_filters_ask_for_a_correction_instead_of_a_count(admin, login):
    page = login(admin).get("/plans/exports/", {"date_from": "9999-99-99"})
    assert page.status_code == 200
    assert "Correct the filters" in _count_text(page.content.decode())


def test_a_fresh_export_knows_its_total_and_shows_an_empty_bar(admin, signed_plans):
    export = exports.request_export(actor=admin)  # its start task has not run: no items yet
    assert export.total == 2
    assert exports.progress(export) | {"succeeded": 0} == {
        "total": 2,
        "done": 0,
        "succeeded": 0,
        "failed": 0,
        "percent": 0,
        "nothing": False,
    }
    frame = _first_frame(export)
    assert frame.h2.get_text() == "Queued"
    bar = frame.find("progress")
    assert (bar["value"], bar["max"]) == ("0", "2")
    text = " ".join(frame.get_text().split())
    assert "0 of 2 plans rendered" in text and "0 %" in text
    assert "100 %" not in text


def test_an_export_of_no_plans_says_nothing_to_export_rather_than_a_full_bar(admin, signed_plans):
    export = exports.request_export(actor=admin, date_from=dt.date(2030, 1, 1))
    frame = _first_frame(export)
    assert frame.find("progress") is None
    assert "Nothing to export" in frame.get_text()
    assert "100 %" not in frame.get_text()


def test_the_bar_never_reads_full_before_every_plan_is_done(admin, signed_plans, django_capture_on_commit_callbacks):
    export = exports.request_export(actor=admin)
    exports.start(export.pk)
    first = export.items.order_by("pk").first()
    exports.render_item(first.pk)
    export.refresh_from_db()
    assert exports.progress(export)["percent"] == 50


def test_the_export_pages_own_polling_writes_no_access_log_row_but_the_page_view_writes_one(admin, signed_plans, login):
    export = exports.request_export(actor=admin)
    browser = login(admin)
    before = AccessLog.objects.count()
    assert browser.get(f"/plans/exports/{export.pk}/").status_code == 200
    after_view = AccessLog.objects.count()
    for _ in range(3):
        polled = browser.get(
            f"/plans/exports/{export.pk}/", headers={"HX-Request": "true", "X-Psyplan-Background": "1"}
        )
        assert polled.status_code == 200
    assert after_view - before == 1
    assert AccessLog.objects.count() == after_view
