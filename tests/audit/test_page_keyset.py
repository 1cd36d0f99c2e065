"""The audit page pages by keyset (issue 17): every entry once across its pages, with the filters and
sorts, a cursor that names only an entry's id, no total count, a fixed number of queries however
long the log; the CSV streams."""

import csv
import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from audit import log, views
from audit.models import AccessLog
from tests.factories import ClientFactory

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 5)


def _write(n, *, actor, client, start=START, first_id=1, same_time_every=3):
    """n entries naming plans first_id…, three at a time sharing one instant (ties broken by id)."""
    for i in range(n):
        with time_machine.travel(start + dt.timedelta(minutes=i // same_time_every), tick=False):
            log.record(
                action="read",
                actor=actor,
                object_type="plan",
                object_id=first_id + i,
                client_id=client.pk,
                subject_practice_id=client.practice_id,
            )


def _page(response):
    soup = BeautifulSoup(response.content, "html.parser")
    records = [tr.find_all("td")[4].get_text(strip=True) for tr in soup.select("table tbody tr") if tr.find_all("td")]
    links = {a["rel"][0]: a["href"] for a in soup.select("nav.pager a[rel]")}
    return [r for r in records if r], links


def _walk(web, url, rel="next"):
    pages, seen = [], []
    while url is not None:
        records, links = _page(web.get(url))
        pages.append(records)
        seen.extend(records)
        url = "/accounts/audit/" + links[rel] if rel in links else None
    return pages, seen


def test_older_pages_show_each_entry_of_a_person_once_newest_first(small_pages, admin, clinician, colleague, login):
    own = ClientFactory(primary_clinician=clinician)
    _write(23, actor=clinician, client=own)
    _write(4, actor=colleague, client=own, first_id=100)
    pages, seen = _walk(login(admin), f"/accounts/audit/?user={clinician.pk}")
    assert seen == [f"Treatment plan {n}" for n in range(23, 0, -1)]
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]


def test_the_older_link_carries_the_filters_and_an_entry_id_only(small_pages, admin, clinician, login):
    own = ClientFactory(primary_clinician=clinician)
    _write(7, actor=clinician, client=own)
    _, links = _page(login(admin).get(f"/accounts/audit/?client={own.pk}&action=read&date_from=2026-11-01"))
    params = parse_qs(urlsplit(links["next"]).query)
    assert set(params) == {"client", "action", "date_from", "after"}
    last_shown = AccessLog.objects.filter(client_id=own.pk).order_by("-at", "-pk")[4]
    assert params["after"] == [str(last_shown.pk)]


def test_newer_links_walk_back_to_the_newest_page(small_pages, admin, clinician, login):
    own = ClientFactory(primary_clinician=clinician)
    _write(17, actor=clinician, client=own)
    web = login(admin)
    forward, _ = _walk(web, f"/accounts/audit/?client={own.pk}")
    last = f"/accounts/audit/?client={own.pk}&after=" + _last_cursor(web, f"/accounts/audit/?client={own.pk}")
    backward, _ = _walk(web, last, rel="prev")
    assert backward == list(reversed(forward))
    assert _page(web.get("/accounts/audit/" + _page(web.get(last))[1]["prev"]))[0] == forward[-2]


def _last_cursor(web, url):
    """The `after` of the link to the last page."""
    cursor = None
    while True:
        _, links = _page(web.get(url))
        if "next" not in links:
            return cursor
        cursor = parse_qs(urlsplit(links["next"]).query)["after"][0]
        url = "/accounts/audit/" + links["next"]


@pytest.mark.parametrize("sort", ["at", "actor", "-actor", "action"])
def test_every_sort_pages_through_each_entry_once(small_pages, sort, admin, clinician, colleague, login):
    own = ClientFactory(primary_clinician=clinician)
    _write(9, actor=clinician, client=own)
    _write(8, actor=colleague, client=own, first_id=100)
    _, seen = _walk(login(admin), f"/accounts/audit/?client={own.pk}&sort={sort}")
    assert len(seen) == 17 and set(seen) == {f"Treatment plan {n}" for n in [*range(1, 10), *range(100, 108)]}
    if sort == "at":
        assert seen[:3] == ["Treatment plan 1", "Treatment plan 2", "Treatment plan 3"]


def test_the_date_range_pages_within_itself(small_pages, admin, clinician, login):
    own = ClientFactory(primary_clinician=clinician)
    _write(8, actor=clinician, client=own)
    _write(8, actor=clinician, client=own, start=START + dt.timedelta(days=3), first_id=100)
    _, seen = _walk(login(admin), f"/accounts/audit/?client={own.pk}&date_from=2026-11-05&date_to=2026-11-05")
    assert seen == [f"Treatment plan {n}" for n in range(107, 99, -1)]


def test_a_cursor_naming_another_practices_entry_is_the_first_page(small_pages, admin, clinician, outsider, login):
    own = ClientFactory(primary_clinician=clinician)
    foreign = ClientFactory(primary_clinician=outsider)
    _write(8, actor=clinician, client=own)
    _write(1, actor=outsider, client=foreign, first_id=500)
    theirs = AccessLog.objects.get(object_id="500")
    web = login(admin)
    first, _ = _page(web.get(f"/accounts/audit/?user={clinician.pk}"))
    assert _page(web.get(f"/accounts/audit/?user={clinician.pk}&after={theirs.pk}"))[0] == first


def test_a_malformed_cursor_is_a_bad_request(admin, login):
    assert login(admin).get("/accounts/audit/?after=12abc").status_code == 400


def _page_queries(web, url):
    with CaptureQueriesContext(connection) as ctx:
        assert web.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_the_pages_queries_do_not_grow_with_the_log_and_count_nothing(small_pages, admin, clinician, colleague, login):
    own = ClientFactory(primary_clinician=clinician)
    other = ClientFactory(primary_clinician=colleague)
    _write(12, actor=clinician, client=own)
    web = login(admin)
    urls = ["/accounts/audit/", f"/accounts/audit/?user={clinician.pk}", f"/accounts/audit/?client={own.pk}"]
    before = [len(_page_queries(web, url)) for url in urls]
    cursor = AccessLog.objects.filter(actor=clinician).order_by("-at", "-pk")[4].pk
    deep_before = len(_page_queries(web, f"/accounts/audit/?user={clinician.pk}&after={cursor}"))
    _write(60, actor=clinician, client=own, first_id=1000)
    _write(30, actor=colleague, client=other, first_id=2000)
    after = [len(_page_queries(web, url)) for url in urls]
    assert after == before
    assert len(_page_queries(web, f"/accounts/audit/?user={clinician.pk}&after={cursor}")) == deep_before
    log_sql = " ".join(q for q in _page_queries(web, "/accounts/audit/") if "accounts_accesslog" in q).upper()
    assert "COUNT(" not in log_sql and "OFFSET" not in log_sql


def test_the_csv_streams_every_filtered_entry_in_order_with_its_cells_escaped(admin, clinician, login):
    own = ClientFactory(primary_clinician=clinician)
    _write(30, actor=clinician, client=own)
    with time_machine.travel(START + dt.timedelta(hours=2), tick=False):
        for detail in ['-1+1, "quoted"', "@SUM(A1)", "plain\nnext line"]:
            log.record(
                action="read",
                actor=clinician,
                object_type="plan",
                object_id=99,
                client_id=own.pk,
                subject_practice_id=own.practice_id,
                detail=detail,
            )
    response = login(admin).get(f"/accounts/audit/?client={own.pk}&format=csv")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 33
    ids = [int(r["id"]) for r in rows]
    expected = list(AccessLog.objects.filter(client_id=own.pk).order_by("-at", "-pk").values_list("pk", flat=True))
    assert ids == expected
    assert [r["detail"] for r in rows[:3]] == ["plain\nnext line", "'@SUM(A1)", '\'-1+1, "quoted"']
    assert rows[-1]["object_id"] == "1" and rows[-1]["at_utc"] == "2026-11-02T09:00:00+00:00"
