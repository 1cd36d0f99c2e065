"""The plan page keeps its progress part in the fragment cache (core/page_parts.py `stamp`): what the
part shows appears on the next rendering after every act that changes it, its forms and chart
stamps are this request's own, and a cached part skips the part's loader altogether."""

from bs4 import BeautifulSoup
from django.core.cache import cache

from audit import embedded
from core.fragments import CSRF_SLOT, FORM_ID_SLOT
from plans.models import Objective
from progress import page_parts as progress_parts
from progress.models import ProgressReview
from progress.services import EntryInput, ReviewRecord, complete_review, record_measure, start_review_now


def _progress(web, plan) -> BeautifulSoup:
    response = web.get(f"/plans/{plan.pk}/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser").select_one("#reviews")


def _record_phq9(plan, clinician, phq9) -> None:
    client = plan.client
    record_measure(actor=clinician, client=client, definition=phq9, recorded_on=client.practice.today(), items=[1] * 9)


def _part_fragments() -> set[str]:
    return {k for k in cache._cache if ":part:progress:" in k}  # noqa: SLF001 - the local-memory cache's own store


def test_the_progress_part_is_cached_and_its_loader_skipped_on_the_next_rendering(
    active_plan, clinician, login, monkeypatch
):
    web = login(clinician)
    first = _progress(web, active_plan)
    assert _part_fragments()
    calls = []
    monkeypatch.setattr(progress_parts, "load_progress", lambda *a, **k: calls.append(1))
    again = _progress(web, active_plan)
    assert calls == []
    assert again.get_text(" ", strip=True) == first.get_text(" ", strip=True)


def test_a_new_score_shows_on_the_next_rendering(active_plan, clinician, phq9, login):
    web = login(clinician)
    assert "No outcome measures recorded yet" in _progress(web, active_plan).get_text()
    _record_phq9(active_plan, clinician, phq9)
    part = _progress(web, active_plan)
    table = part.find("caption", string="PHQ-9 scores").find_parent("table")
    assert [td.get_text(strip=True) for td in table.select("tbody td")][:1] == ["9"]
    assert "Risk flag" in part.select_one(".risk").get_text()


def test_starting_and_completing_a_review_show_on_the_next_rendering(active_plan, clinician, login):
    web = login(clinician)
    assert _progress(web, active_plan).select_one("form button").get_text() == "Review now"
    review = start_review_now(actor=clinician, plan=active_plan)
    part = _progress(web, active_plan)
    assert "Complete this review" in part.get_text() and part.select_one("form") is None
    objective = Objective.objects.get(goal__plan=active_plan)
    entry = EntryInput(objective, "progressing", 60, "Named the pattern twice.")
    record = ReviewRecord(
        entries=[entry],
        alliance_bond=4,
        alliance_goals=4,
        alliance_tasks=4,
        summary="Steady work.",
        decision=ProgressReview.Decision.CONTINUE,
    )
    complete_review(actor=clinician, review=review, record=record)
    text = _progress(web, active_plan).get_text(" ", strip=True)
    assert "Completed reviews" in text and "Named the pattern twice." in text and "60 %" in text


def test_a_cached_part_gives_each_rendering_its_own_form_id_and_token(active_plan, clinician, login):
    web = login(clinician)
    ids = []
    for _ in range(2):
        response = web.get(f"/plans/{active_plan.pk}/")
        html = response.content.decode()
        assert CSRF_SLOT not in html and FORM_ID_SLOT not in html and embedded.SLOT not in html
        form = BeautifulSoup(html, "html.parser").select_one("#reviews form")
        ids.append(form.select_one("input[name=form_id]")["value"])
        assert form.select_one("input[name=csrfmiddlewaretoken]")["value"] not in ("", CSRF_SLOT)
    assert ids[0] != ids[1]


def test_chart_stamps_in_a_cached_part_are_each_readers_own(active_plan, clinician, supervisor, phq9, login, rf):
    _record_phq9(active_plan, clinician, phq9)
    _progress(login(clinician), active_plan)
    # The clinician's second rendering comes from the cached part; the supervisor's is their own.
    for reader in (clinician, supervisor):
        part = _progress(login(reader), active_plan)
        src = part.select_one(f'img[src^="/plans/{active_plan.pk}/charts/phq9.svg"]')["src"]
        request = rf.get(src)
        assert embedded.covered_by_page_view(request, user_pk=reader.pk, object_id=active_plan.pk)
        other = supervisor if reader == clinician else clinician
        assert not embedded.covered_by_page_view(request, user_pk=other.pk, object_id=active_plan.pk)
