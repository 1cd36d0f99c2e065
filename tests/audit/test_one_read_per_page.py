"""One plan page view is one read in the access log: the charts the page embeds carry the page's
stamp (audit/embedded.py) and write no row of their own; a chart fetched without it is a read."""

import re

import pytest

from audit.models import AccessLog
from plans.lifecycle import transitions
from progress.services import start_review_now
from tests.factories import ClientFactory, complete_review_continuing, make_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewed_plan(clinician):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    complete_review_continuing(clinician, start_review_now(actor=clinician, plan=plan))
    return plan


def _chart_urls(html: str) -> list[str]:
    return [src.replace("&amp;", "&") for src in re.findall(r'<img src="([^"]*/charts/[^"]*)"', html)]


def _reads() -> int:
    return AccessLog.objects.filter(action="read").count()


def test_a_plan_page_view_with_its_charts_writes_one_read(clinician, reviewed_plan, login):
    web = login(clinician)
    before = _reads()
    page = web.get(f"/plans/{reviewed_plan.pk}/")
    charts = _chart_urls(page.content.decode())
    assert charts, "the reviewed plan's page embeds at least its objectives chart"
    for url in charts:
        assert web.get(url).status_code == 200
    rows = AccessLog.objects.filter(action="read").order_by("pk")[before:]
    assert [row.detail for row in rows] == ["plans:detail"]


def test_a_chart_fetched_without_the_page_stamp_is_a_read_of_the_plan(clinician, reviewed_plan, login):
    web = login(clinician)
    before = _reads()
    assert web.get(f"/plans/{reviewed_plan.pk}/charts/objectives.svg").status_code == 200
    assert _reads() == before + 1
    row = AccessLog.objects.order_by("-pk").first()
    assert (row.detail, row.object_type, row.object_id) == ("progress:chart_objectives", "plan", str(reviewed_plan.pk))


def test_another_persons_stamp_does_not_hide_a_read(clinician, supervisor, reviewed_plan, login):
    charts = _chart_urls(login(clinician).get(f"/plans/{reviewed_plan.pk}/").content.decode())
    web = login(supervisor)
    before = _reads()
    assert web.get(charts[0]).status_code == 200
    assert _reads() == before + 1


def test_a_stamp_for_another_plan_does_not_hide_a_read(clinician, reviewed_plan, login):
    other = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    complete_review_continuing(clinician, start_review_now(actor=clinician, plan=other))
    web = login(clinician)
    stamp = _chart_urls(web.get(f"/plans/{other.pk}/").content.decode())[0].split("?", 1)[1]
    before = _reads()
    assert web.get(f"/plans/{reviewed_plan.pk}/charts/objectives.svg?{stamp}").status_code == 200
    assert _reads() == before + 1
