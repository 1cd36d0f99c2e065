"""The client's way through a questionnaire link: date of birth, the items, the scores, the crisis text."""

from audit.models import AccessLog
from participation.models import ClientLink
from plans.models import MeasureDefinition
from progress.models import MeasureScore
from progress.services import record_measure
from tests.participation.conftest import answers, verify

PHQ_CALM = [1, 0, 1, 0, 1, 0, 0, 0, 0]
GAD_CALM = [1, 1, 0, 0, 0, 1, 0]


def _answer(web, path, phq=PHQ_CALM, gad=GAD_CALM):
    assert verify(web, path).status_code == 302
    return web.post(path + "answers/", {**answers("phq9", phq), **answers("gad7", gad)})


def test_the_first_page_asks_only_for_the_date_of_birth_and_shows_nothing_of_the_client(
    web, consenting_client, make_link
):
    _, path = make_link(consenting_client)
    page = web.get(path).content.decode()
    assert "date of birth" in page.lower()
    for private in (consenting_client.given_name, consenting_client.family_name, "PHQ", "depress"):
        assert private not in page


def test_the_questionnaire_needs_the_date_of_birth_first(web, consenting_client, make_link):
    _, path = make_link(consenting_client)
    response = web.get(path + "answers/")
    assert response.status_code == 302 and response["Location"] == path


def test_the_clients_answers_are_scored_as_a_clinicians_are_and_marked_client_reported(
    web, consenting_client, make_link, clinician
):
    link, path = make_link(consenting_client)
    response = _answer(web, path)
    assert response.status_code == 302 and response["Location"] == path + "done/"
    scores = {s.definition.code: s for s in MeasureScore.objects.filter(client=consenting_client)}
    assert set(scores) == {"phq9", "gad7"}
    assert all(s.source == MeasureScore.Source.CLIENT and s.is_client_reported for s in scores.values())
    phq9 = MeasureDefinition.objects.get(code="phq9", practice__isnull=True)
    by_clinician = record_measure(
        actor=clinician,
        client=consenting_client,
        definition=phq9,
        recorded_on=scores["phq9"].recorded_on,
        items=PHQ_CALM,
    )
    assert (scores["phq9"].total, scores["phq9"].band) == (by_clinician.total, by_clinician.band) == (3, "minimal")
    assert by_clinician.source == MeasureScore.Source.CLINICIAN
    link.refresh_from_db()
    assert link.status == ClientLink.Status.DONE
    done = web.get(path + "done/").content.decode()
    assert "Thank you" in done and consenting_client.practice.crisis_text not in done


def test_a_positive_item_nine_shows_the_practices_crisis_text_right_after_submitting(web, consenting_client, make_link):
    consenting_client.practice.crisis_text = "If you are in danger now, call 911 or your local emergency number."
    consenting_client.practice.save()
    _, path = make_link(consenting_client)
    response = _answer(web, path, phq=[0, 0, 0, 0, 0, 0, 0, 0, 1])
    page = web.get(response["Location"]).content.decode()
    assert "call 911 or your local emergency number" in page
    assert MeasureScore.objects.get(client=consenting_client, definition__code="phq9").risk_flag


def test_a_severe_phq9_total_shows_the_crisis_text_without_item_nine(web, consenting_client, make_link):
    _, path = make_link(consenting_client, codes=("phq9",))
    response = web.post(path, {"date_of_birth": "1985-03-14"})
    response = web.post(path + "answers/", answers("phq9", [3, 3, 3, 3, 3, 3, 3, 0, 0]))
    assert consenting_client.practice.crisis_text in web.get(response["Location"]).content.decode()


def test_an_unanswered_item_is_a_field_error_and_nothing_is_saved(web, consenting_client, make_link):
    _, path = make_link(consenting_client, codes=("phq9",))
    verify(web, path)
    partial = answers("phq9", PHQ_CALM)
    del partial["phq9_9"]
    response = web.post(path + "answers/", partial)
    assert response.status_code == 200
    assert "Choose an answer for this question." in response.content.decode()
    assert not MeasureScore.objects.exists()


def test_open_verification_and_submission_are_in_the_access_log_with_the_client(web, consenting_client, make_link):
    link, path = make_link(consenting_client)
    web.get(path)
    _answer(web, path)
    actions = list(
        AccessLog.objects.filter(client_id=consenting_client.pk, object_type="client_link").values_list(
            "action", flat=True
        )
    )
    for action in ("client_link_create", "client_link_open", "client_link_verify", "client_link_submit"):
        assert action in actions


def test_the_client_pages_work_without_javascript_and_keep_the_csp(web, consenting_client, make_link):
    _, path = make_link(consenting_client)
    response = web.get(path)
    assert "<script" not in response.content.decode()
    assert "script-src" in response.get("Content-Security-Policy", "") or response.get(
        "Content-Security-Policy-Report-Only"
    )
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"


def test_client_reported_scores_are_marked_where_the_plan_lists_scores(
    web, consenting_client, make_link, clinician, login
):
    from plans.lifecycle import transitions
    from tests.factories import make_plan

    plan = transitions.submit_plan(actor=clinician, plan=make_plan(consenting_client))
    _, path = make_link(consenting_client, codes=("phq9",))
    verify(web, path)
    web.post(path + "answers/", answers("phq9", PHQ_CALM))
    score = MeasureScore.objects.get(client=consenting_client)
    assert score.plan == plan
    page = login(clinician).get(f"/plans/{plan.pk}/").content.decode()
    assert "client-reported" in page


def test_answering_a_link_locks_the_link_row_only_never_the_practice_row(web, consenting_client, make_link):
    # The access log's rows check their practice key at commit (FOR KEY SHARE) after taking the
    # chain's lock: a practice row locked FOR UPDATE here deadlocked them under load (make load).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, path = make_link(consenting_client)
    with CaptureQueriesContext(connection) as queries:
        _answer(web, path)
    locking = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    if connection.features.has_select_for_update_of:
        assert len(locking) == 2, locking
        assert all(sql.endswith('FOR UPDATE OF "participation_clientlink"') for sql in locking), locking
