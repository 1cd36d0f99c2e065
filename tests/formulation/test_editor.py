"""The formulation's part of the plan editor: sections autosave, conflicts and defenses are edited inline,
and the plan page redraws its structure (the golden thread reads the formulation) after each change."""

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied

from core.errors import PlanLockedError
from formulation import services
from formulation.models import ConflictType, CoreConflict, DefenseObservation
from plans.lifecycle import transitions
from tests.factories import make_plan

HX = {"HX-Request": "true"}


@pytest.fixture
def plan(own_client):
    return make_plan(own_client)


def test_formulation_sections_autosave_independently_and_detect_conflicts(clinician, plan, login):
    web = login(clinician)
    url = f"/plans/{plan.pk}/formulation/"
    saved = web.post(
        url + "narrative/", {"narrative-narrative_hypothesis": "Tab one", "narrative-version": 0}, headers=HX
    )
    assert "Saved at" in saved.content.decode()
    # Another section saved from version 0 is not a conflict: sections version separately.
    other = web.post(
        url + "strengths/", {"strengths-strengths": "Curious, reflective", "strengths-version": 0}, headers=HX
    )
    assert "Saved at" in other.content.decode()
    stale = web.post(
        url + "narrative/", {"narrative-narrative_hypothesis": "Tab two", "narrative-version": 0}, headers=HX
    )
    body = stale.content.decode()
    assert "Not saved" in body and "Tab one" in body
    plan.formulation.refresh_from_db()
    assert plan.formulation.narrative_hypothesis == "Tab one"
    assert plan.formulation.strengths == "Curious, reflective"


def test_adding_a_conflict_inline_answers_with_the_structure_and_the_formulation_items(clinician, plan, login):
    web = login(clinician)
    guilt = ConflictType.objects.get(code="guilt")
    response = web.post(
        f"/plans/{plan.pk}/conflict/add/",
        {"conflict-new-conflict_type": guilt.pk, "conflict-new-intensity": "low", "conflict-new-mode": "active"},
        headers=HX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#plan-structure"
    soup = BeautifulSoup(response.content, "html.parser")
    items = soup.select_one("#formulation-items[hx-swap-oob]")
    assert "Guilt" in items.get_text()
    # The golden thread, redrawn with it, flags the new conflict that no objective works on yet.
    flagged = [row.th.get_text(" ", strip=True) for row in soup.select(".thread tr.flag")]
    assert any(text.startswith("Conflict: Guilt") for text in flagged)
    assert plan.formulation.conflicts.filter(conflict_type=guilt).exists()


def test_the_conflict_form_offers_edit_controls_under_the_formulation_routes(clinician, plan, login):
    conflict = plan.formulation.conflicts.get()
    page = BeautifulSoup(login(clinician).get(f"/plans/{plan.pk}/").content, "html.parser")
    actions = page.select_one(f"#conflict-{conflict.pk} .item-actions")
    assert actions["aria-label"] == "Core conflict actions"
    assert actions.select_one("[hx-get]")["hx-get"] == f"/plans/items/conflict/{conflict.pk}/edit/"
    form = BeautifulSoup(
        login(clinician).get(f"/plans/items/conflict/{conflict.pk}/edit/", headers=HX).content, "html.parser"
    )
    assert form.select_one("h3").get_text() == "Edit core conflict"
    assert form.select_one("button[hx-get]")["hx-get"] == f"/plans/{plan.pk}/structure/"


def test_editing_a_defense_inline_saves_it_and_a_stale_edit_shows_both_texts(clinician, plan, login):
    defense = plan.formulation.defenses.get()
    web = login(clinician)
    url = f"/plans/items/defense/{defense.pk}/edit/"
    data = {f"defense-{defense.pk}-mechanism": defense.mechanism_id, f"defense-{defense.pk}-version": 1}
    saved = web.post(url, data | {f"defense-{defense.pk}-evidence": "Smiles when sad."}, headers=HX)
    assert saved.status_code == 200
    defense.refresh_from_db()
    assert (defense.evidence, defense.version) == ("Smiles when sad.", 2)
    stale = web.post(url, data | {f"defense-{defense.pk}-evidence": "Mine"}, headers=HX)
    conflict = BeautifulSoup(stale.content, "html.parser").select_one(".conflict")
    assert "Smiles when sad." in conflict.get_text()
    defense.refresh_from_db()
    assert defense.evidence == "Smiles when sad."


def test_removing_and_moving_formulation_items_keeps_rows_and_reorders(clinician, plan, login):
    web = login(clinician)
    first = plan.formulation.defenses.get()
    second = services.add_defense(
        actor=clinician, formulation=plan.formulation, mechanism=first.mechanism, evidence="Second"
    )
    web.post(f"/plans/items/defense/{second.pk}/move/up/", headers=HX)
    assert list(plan.formulation.defenses.order_by("order").values_list("pk", flat=True)) == [second.pk, first.pk]
    web.post(f"/plans/items/defense/{first.pk}/remove/", headers=HX)
    first.refresh_from_db()
    assert first.removed_at is not None


def test_a_submitted_plans_formulation_is_refused_by_the_views_and_the_services(clinician, plan, login):
    active = transitions.submit_plan(actor=clinician, plan=plan)
    conflict = CoreConflict.objects.get(formulation__plan=active)
    web = login(clinician)
    assert web.get(f"/plans/items/conflict/{conflict.pk}/edit/", headers=HX).status_code == 403
    assert web.get(f"/plans/{active.pk}/defense/add/", headers=HX).status_code == 403
    with pytest.raises(PlanLockedError):
        services.save_formulation_section(
            actor=clinician, formulation=active.formulation, section="narrative", expected_version=0, values={}
        )
    with pytest.raises(PlanLockedError):
        services.remove_item(actor=clinician, item=DefenseObservation.objects.get(formulation__plan=active))


def test_only_the_clients_clinician_changes_the_formulation(supervisor, plan):
    with pytest.raises(PermissionDenied):
        services.add_conflict(
            actor=supervisor,
            formulation=plan.formulation,
            conflict_type=ConflictType.objects.get(code="guilt"),
            intensity="low",
            mode="active",
            description="",
        )
