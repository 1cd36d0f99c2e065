"""The PHQ-9 item 9 risk flag shows on the client list and the home page, not only in the plan."""

import datetime as dt

from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plans.models import MeasureDefinition
from progress import services
from tests.factories import ClientFactory

PHQ9_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 2]
PHQ9_CLEAR = [1, 1, 1, 1, 1, 1, 1, 1, 0]


def _phq9(actor, client, items, on):
    return services.record_measure(
        actor=actor,
        client=client,
        definition=MeasureDefinition.objects.get(code="phq9", practice__isnull=True),
        recorded_on=on,
        items=items,
    )


def _list_rows(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return {row.th.a.get_text(strip=True): row.th for row in soup.select("#client-rows tbody tr")}


def test_client_list_badges_a_client_whose_latest_phq9_answered_item_9(clinician, login):
    at_risk = ClientFactory(primary_clinician=clinician)
    cleared = ClientFactory(primary_clinician=clinician)
    _phq9(clinician, at_risk, PHQ9_ITEM9, dt.date(2026, 11, 1))
    _phq9(clinician, cleared, PHQ9_ITEM9, dt.date(2026, 10, 1))
    _phq9(clinician, cleared, PHQ9_CLEAR, dt.date(2026, 11, 1))
    rows = _list_rows(login(clinician).get("/clients/"))
    assert "PHQ-9 item 9" in rows[at_risk.display_name].get_text()
    # The latest answer speaks: a later PHQ-9 with item 9 at 0 clears the badge.
    assert "PHQ-9 item 9" not in rows[cleared.display_name].get_text()


def test_client_list_risk_badges_cost_one_query_whatever_the_page_size(clinician, login):
    browser = login(clinician)
    ClientFactory(primary_clinician=clinician)
    with CaptureQueriesContext(connection) as few:
        browser.get("/clients/")
    for _ in range(6):
        _phq9(clinician, ClientFactory(primary_clinician=clinician), PHQ9_ITEM9, dt.date(2026, 11, 1))
    with CaptureQueriesContext(connection) as many:
        response = browser.get("/clients/")
    assert len(_list_rows(response)) == 7
    assert sum("PHQ-9 item 9" in th.get_text() for th in _list_rows(response).values()) == 6
    assert len(many.captured_queries) == len(few.captured_queries)


def test_home_shows_the_phq9_risk_to_the_clinician_but_not_to_another_clinician(clinician, colleague, login):
    client = ClientFactory(primary_clinician=clinician)
    _phq9(clinician, client, PHQ9_ITEM9, dt.date(2026, 11, 20))
    home = BeautifulSoup(login(clinician).get("/").content, "html.parser")
    flags = home.find("h2", string="Risk flags").find_parent("section")
    assert client.display_name in flags.get_text() and "PHQ-9 item 9" in flags.get_text()
    assert client.display_name not in login(colleague).get("/").content.decode()
