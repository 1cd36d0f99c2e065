"""Records seeded with canary strings: text that must never show up where it should not."""

from dataclasses import dataclass, field

import pytest

CANARIES = {
    "given_name": "Zqxcanarygiven",
    "family_name": "Vwcanaryfamily",
    "preferred_name": "Jkcanarypreferred",
    "address": "canary-address-2290 Hidden Lane",
    "email": "canary.mail.6612@example.test",
    "problem_title": "canary-problem-3381",
    "clients_words": "canary-words-7731 I never tell anyone",
    "narrative": "canary-formulation-5512 wish to be held",
    # The clinician's private working material: not even the practice admin, who reads the rest, sees it.
    "countertransference": "canary-countertransference-6120 pull to rescue",
    "goal": "canary-goal-9034",
    "comment": "canary-comment-4417",
    "session_note": "canary-session-note-8823 spoke of the break",
    "process_note": "canary-process-note-7140 my boredom in the room",
    "alliance_comment": "canary-alliance-comment-5027 she rushes me",
}


@dataclass
class Hidden:
    client: object
    plans: list
    ids: dict[str, set[int]] = field(default_factory=dict)

    @property
    def all_ids(self) -> set[int]:
        return set().union(*self.ids.values())


def _client_links(clinician, client) -> dict[str, set[int]]:
    """An open client link and a revoked one: the staff routes must not reach them from outside."""
    from participation import services as link_services
    from participation.models import ClientLink

    links = [
        link_services.create_link(
            actor=clinician,
            client=client,
            purpose=ClientLink.Purpose.QUESTIONNAIRES,
            delivery=ClientLink.Delivery.HAND,
            measure_codes=["phq9", "gad7"],
        )[0]
        for _ in range(2)
    ]
    link_services.revoke_link(actor=clinician, link=links[1])
    # A third, answered with item 9 above 0 and an alliance rating: an open alert, a recipient row,
    # a client-rated alliance whose comment carries a canary.
    answered, _ = link_services.create_link(
        actor=clinician,
        client=client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        delivery=ClientLink.Delivery.HAND,
        measure_codes=["phq9", "alliance"],
    )
    submitted = link_services.submit_questionnaires(
        link=answered,
        answers={"phq9": [0] * 8 + [1]},
        alliance=link_services.AllianceAnswer(bond=2, goals=3, tasks=4, comment=CANARIES["alliance_comment"]),
    )
    (alert,) = submitted.alerts
    return {
        "client_link": {link.pk for link in links} | {answered.pk},
        "client_alert": {alert.pk},
        "client_alliance": {submitted.alliance.pk},
    }


def _sessions(clinician, supervisor, client) -> dict[str, set[int]]:
    """A session whose note carries a canary, signed, with an addendum; one not attended; and a
    private process note carrying one, shared with the clinician's supervisor."""
    import datetime as dt

    from notes import services
    from notes.models import ProgressNote, ServiceType

    individual = ServiceType.objects.get(practice=None, code="individual")
    values = {"start_time": dt.time(9, 30), "duration_minutes": 50, "service_type": individual}
    session = services.record_session(actor=clinician, client=client, date=dt.date(2026, 11, 10), **values)
    services.save_note(actor=clinician, session=session, what_happened=CANARIES["session_note"])
    note = ProgressNote.objects.get(session=session)
    services.sign_note(actor=clinician, note=note)
    addendum = services.add_addendum(actor=clinician, note=note, text=CANARIES["session_note"])
    missed = services.record_session(
        actor=clinician, client=client, date=dt.date(2026, 11, 17), attendance="no_show", reason="No word.", **values
    )
    private = services.write_process_note(
        actor=clinician, client=client, text=CANARIES["process_note"], session=session
    )
    share = services.share_process_note(actor=clinician, note=private, supervisor=supervisor)
    return {
        "session": {session.pk, missed.pk},
        "note": {note.pk},
        "addendum": {addendum.pk},
        "process_note": {private.pk},
        "share": {share.pk},
    }


@pytest.fixture
def canary_records(clinician, supervisor) -> Hidden:
    """A client of `clinician` whose every text field carries a canary, with a plan that went
    through comment, signature and amendment, so every kind of clinical record exists."""
    from accounts.models import Membership
    from clients.models import PresentingProblem
    from formulation import services as formulation_services
    from formulation.models import CoreConflict, DefenseObservation, Formulation
    from plans.editor import services
    from plans.lifecycle import comments, transitions
    from plans.models import Comment, Goal, Intervention, Objective, PlanTransition, Signature, TreatmentPlan
    from tests.factories import ClientFactory, PresentingProblemFactory, make_plan

    client = ClientFactory(
        primary_clinician=clinician,
        given_name=CANARIES["given_name"],
        family_name=CANARIES["family_name"],
        preferred_name=CANARIES["preferred_name"],
        address=CANARIES["address"],
        email=CANARIES["email"],
    )
    PresentingProblemFactory(client=client, title=CANARIES["problem_title"], clients_words=CANARIES["clients_words"])
    plan = make_plan(client)
    formulation = plan.formulation
    formulation_services.save_formulation_section(
        actor=clinician,
        formulation=formulation,
        section="narrative",
        expected_version=formulation.section_version("narrative"),
        values={"narrative_hypothesis": CANARIES["narrative"]},
    )
    formulation_services.save_formulation_section(
        actor=clinician,
        formulation=formulation,
        section="transference",
        expected_version=formulation.section_version("transference"),
        values={"countertransference": CANARIES["countertransference"]},
    )
    services.add_goal(actor=clinician, plan=plan, statement=CANARIES["goal"])
    comments.add_comment(actor=supervisor, plan=plan, body=CANARIES["comment"])
    plan = transitions.submit_plan(actor=clinician, plan=plan)
    amendment = transitions.amend_plan(actor=clinician, plan=plan)
    plans = [plan, amendment]
    plan_ids = {p.pk for p in plans}
    ids = {
        "client": {client.pk},
        "problem": set(PresentingProblem.objects.filter(client=client).values_list("pk", flat=True)),
        "plan": plan_ids,
        "formulation": set(Formulation.objects.filter(plan__in=plan_ids).values_list("pk", flat=True)),
        "conflict": set(CoreConflict.objects.filter(formulation__plan__in=plan_ids).values_list("pk", flat=True)),
        "defense": set(DefenseObservation.objects.filter(formulation__plan__in=plan_ids).values_list("pk", flat=True)),
        "goal": set(Goal.objects.filter(plan__in=plan_ids).values_list("pk", flat=True)),
        "objective": set(Objective.objects.filter(goal__plan__in=plan_ids).values_list("pk", flat=True)),
        "intervention": set(Intervention.objects.filter(plan__in=plan_ids).values_list("pk", flat=True)),
        "comment": set(Comment.objects.filter(plan__in=plan_ids).values_list("pk", flat=True)),
        "signature": set(Signature.objects.filter(plan__in=plan_ids).values_list("pk", flat=True)),
        "transition": set(PlanTransition.objects.filter(plan__in=plan_ids).values_list("pk", flat=True)),
        "membership": {Membership.objects.get(user=clinician).pk},
        "user": {clinician.pk},
    }
    ids |= _sessions(clinician, supervisor, client)
    ids |= _client_links(clinician, client)
    assert TreatmentPlan.objects.filter(client=client).count() == 2
    return Hidden(client=client, plans=plans, ids=ids)
