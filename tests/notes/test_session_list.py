"""The session list (/clients/<pk>/sessions/): a page of the history, newest first, with the older
sessions a link away (by keyset, so each page costs the same) and the whole history's counts."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup

from notes.views import SESSIONS_PER_PAGE
from tests.notes.builders import held, record


def _page(web, url):
    response = web.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _dates(page) -> list[str]:
    return [th.get_text(strip=True)[:10] for th in page.select("table.sessions tbody th")]


@pytest.fixture
def history(clinician, own_client, active_plan, individual):
    """SESSIONS_PER_PAGE + 5 weekly sessions: every fifth a no-show, the last attended one a draft."""
    first = dt.date(2026, 1, 5)
    weeks = SESSIONS_PER_PAGE + 5
    for week in range(weeks):
        day = first + dt.timedelta(weeks=week)
        if week % 5 == 4:
            record(clinician, own_client, individual, date=day, attendance="no_show", reason="Did not come.")
        else:
            held(clinician, own_client, individual, day, sign=week != weeks - 2)
    return [first + dt.timedelta(weeks=w) for w in range(weeks)]


def test_the_session_list_shows_a_page_newest_first_and_links_to_the_older_sessions(
    history, clinician, own_client, login
):
    web = login(clinician)
    url = f"/clients/{own_client.pk}/sessions/"
    first = _page(web, url)
    newest_first = [f"{d:%Y-%m-%d}" for d in reversed(history)]
    assert _dates(first) == newest_first[:SESSIONS_PER_PAGE]
    older = first.select_one('nav.pager a[rel="next"]')
    assert older.get_text(strip=True) == "Older sessions"
    second = _page(web, url + older["href"])
    assert _dates(second) == newest_first[SESSIONS_PER_PAGE:]
    # The last page links back to the newest and no further.
    assert not second.select('nav.pager a[rel="next"]')
    assert second.select_one("nav.pager a").get_text(strip=True) == "Newest sessions"


def test_the_session_list_counts_the_whole_history_on_every_page(history, clinician, own_client, login):
    web = login(clinician)
    url = f"/clients/{own_client.pk}/sessions/"
    total = len(history)
    no_shows = total // 5
    attended = total - no_shows
    first = _page(web, url)
    counts = first.select_one(".session-counts").get_text(" ", strip=True)
    assert counts == (
        f"{total} sessions: {attended} attended, {attended - 1} with a signed note. "
        f"Showing 1–{SESSIONS_PER_PAGE}, newest first."
    )
    second = _page(web, url + first.select_one('nav.pager a[rel="next"]')["href"])
    assert (
        second.select_one(".session-counts")
        .get_text(" ", strip=True)
        .endswith(f"Showing {SESSIONS_PER_PAGE + 1}–{total}, newest first.")
    )


def test_a_short_history_has_no_pager(clinician, own_client, active_plan, individual, login):
    held(clinician, own_client, individual, dt.date(2026, 11, 3))
    page = _page(login(clinician), f"/clients/{own_client.pk}/sessions/")
    assert len(_dates(page)) == 1 and not page.select("nav.pager")


def test_an_older_page_costs_the_same_queries_as_the_first(history, clinician, own_client, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    web = login(clinician)
    url = f"/clients/{own_client.pk}/sessions/"
    web.get(url)
    with CaptureQueriesContext(connection) as on_first:
        first = _page(web, url)
    with CaptureQueriesContext(connection) as on_second:
        _page(web, url + first.select_one('nav.pager a[rel="next"]')["href"])
    assert len(on_second) == len(on_first)


def test_a_cursor_that_is_not_a_number_is_refused(clinician, own_client, login):
    response = login(clinician).get(f"/clients/{own_client.pk}/sessions/?before=abc")
    assert response.status_code == 400
