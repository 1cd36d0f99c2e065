"""The alliance from both sides (issue 15): the rupture rule, and the client's rating beside the
clinician's on the review form."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied, ValidationError

from plans.lifecycle import transitions
from plans.models import MeasureDefinition
from progress.alliance import Rating, rupture_signs
from progress.models import ClientAllianceRating, MeasureScore, ProgressReview
from progress.services import record_client_alliance, record_measure, start_review_now
from tests.factories import make_plan

# --- The rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("client", "clinician", "gaps"),
    [
        (Rating(4, 4, 4), Rating(5, 3, 4), ()),  # one point apart: no gap
        (Rating(2, 4, 4), Rating(4, 4, 4), ("bond",)),  # two points: a gap
        (Rating(5, 1, 4), Rating(3, 4, 4), ("bond", "goals")),  # either direction
        (Rating(1, 1, 1), Rating(None, None, None), ()),  # nothing to compare with
    ],
)
def test_a_gap_of_two_or_more_between_the_sides_is_a_possible_rupture(client, clinician, gaps):
    signs = rupture_signs(client=client, clinician=clinician, previous_client=None)
    assert signs.gaps == gaps and signs.drops == ()
    assert signs.possible_rupture is bool(gaps)


@pytest.mark.parametrize(
    ("previous", "now", "drops"),
    [
        (Rating(5, 5, 5), Rating(4, 4, 4), ()),  # a drop of one
        (Rating(5, 5, 5), Rating(3, 5, 5), ("bond",)),  # a drop of two
        (Rating(2, 2, 2), Rating(5, 5, 4), ()),  # a rise is no rupture
        (Rating(4, 5, 5), Rating(4, 2, 1), ("goals", "tasks")),
    ],
)
def test_a_drop_of_two_or_more_in_the_clients_rating_is_a_possible_rupture(previous, now, drops):
    signs = rupture_signs(client=now, clinician=now, previous_client=previous)
    assert signs.drops == drops and signs.gaps == ()
    assert signs.possible_rupture is bool(drops)


def test_without_a_client_rating_there_is_no_sign():
    assert not rupture_signs(client=None, clinician=Rating(1, 1, 1), previous_client=Rating(5, 5, 5)).possible_rupture


# --- The record --------------------------------------------------------------------------------


@pytest.fixture
def active_plan(own_client, clinician):
    return transitions.submit_plan(actor=clinician, plan=make_plan(own_client))


def _rate(client, actor, values, on):
    return record_client_alliance(
        actor=actor, client=client, bond=values[0], goals=values[1], tasks=values[2], recorded_on=on
    )


def test_a_client_rating_is_filed_with_the_active_plan_and_checked(active_plan, own_client, clinician, colleague):
    today = own_client.practice.today()
    rating = _rate(own_client, clinician, (4, 3, 5), today)
    assert rating.plan == active_plan and rating.values == (4, 3, 5)
    with pytest.raises(ValidationError) as error:
        _rate(own_client, clinician, (0, 3, 6), today)
    assert set(error.value.message_dict) == {"bond", "tasks"}
    with pytest.raises(PermissionDenied):
        _rate(own_client, colleague, (4, 4, 4), today)
    assert ClientAllianceRating.objects.count() == 1


# --- The review form ---------------------------------------------------------------------------


def test_the_review_form_shows_the_clients_alliance_beside_the_clinicians_and_flags_a_rupture(
    active_plan, own_client, clinician, login
):
    today = own_client.practice.today()
    _rate(own_client, clinician, (5, 4, 4), today - dt.timedelta(days=30))
    _rate(own_client, clinician, (3, 4, 2), today)  # bond down 2, tasks down 2
    review = start_review_now(actor=clinician, plan=active_plan)
    web = login(clinician)
    page = BeautifulSoup(web.get(f"/plans/progress-reviews/{review.pk}/").content, "html.parser")
    part = page.find(id="client-alliance")
    assert "client-reported" in part.get_text()
    rows = {
        tr.th.get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
        for tr in part.select("tbody tr")
    }
    assert rows["Bond"][0].startswith("3") and "drop" in rows["Bond"][0]
    assert rows["Agreement on goals"][0] == "4"
    assert "Possible rupture" in part.select_one(".ra-rupture").get_text()


def test_a_gap_with_the_clinicians_answers_in_the_form_is_flagged(active_plan, own_client, clinician, login):
    _rate(own_client, clinician, (2, 4, 4), own_client.practice.today())
    review = start_review_now(actor=clinician, plan=active_plan)
    web = login(clinician)
    calm = BeautifulSoup(web.get(f"/plans/progress-reviews/{review.pk}/").content, "html.parser")
    assert calm.select_one(".ra-rupture") is None  # no review yet, nothing in the form: no comparison
    # Sent back with an error (no summary): the clinician's bond of 4 is two above the client's 2.
    page = web.post(
        f"/plans/progress-reviews/{review.pk}/",
        {"alliance_bond": "4", "alliance_goals": "4", "alliance_tasks": "5"},
    )
    assert page.status_code == 200
    soup = BeautifulSoup(page.content, "html.parser")
    rupture = soup.select_one(".ra-rupture").get_text(" ", strip=True)
    assert "bond (2 from the client, 4 from you)" in rupture and "tasks" not in rupture


def test_the_last_completed_review_is_the_clinicians_side_when_the_form_is_empty(
    active_plan, own_client, clinician, login
):
    ProgressReview.objects.create(
        plan=active_plan,
        due_date=dt.date(2026, 1, 1),
        status=ProgressReview.Status.COMPLETED,
        completed_on=own_client.practice.today() - dt.timedelta(days=90),
        alliance_bond=5,
        alliance_goals=5,
        alliance_tasks=5,
    )
    _rate(own_client, clinician, (4, 3, 5), own_client.practice.today())
    review = start_review_now(actor=clinician, plan=active_plan)
    part = BeautifulSoup(login(clinician).get(f"/plans/progress-reviews/{review.pk}/").content, "html.parser").find(
        id="client-alliance"
    )
    assert "You (last review)" in part.get_text()
    assert "agreement on goals (3 from the client, 5 from you)" in part.select_one(".ra-rupture").get_text(
        " ", strip=True
    )


def test_client_reported_scores_are_marked_on_the_review_form(active_plan, own_client, clinician, login):
    phq9 = MeasureDefinition.objects.get(code="phq9", practice__isnull=True)
    today = own_client.practice.today()
    record_measure(actor=clinician, client=own_client, definition=phq9, recorded_on=today, items=[1] * 9)
    record_measure(
        actor=clinician,
        client=own_client,
        definition=phq9,
        recorded_on=today,
        items=[0] * 9,
        source=MeasureScore.Source.CLIENT,
    )
    review = start_review_now(actor=clinician, plan=active_plan)
    page = BeautifulSoup(login(clinician).get(f"/plans/progress-reviews/{review.pk}/").content, "html.parser")
    table = page.find("caption", string="Scores recorded since the last review").find_parent("table")
    by = sorted(tr.find_all("td")[-1].get_text(strip=True) for tr in table.select("tbody tr"))
    assert by == ["Clinician-entered", "client-reported"]
