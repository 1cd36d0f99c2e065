"""Building sessions and notes for the notes tests."""

import datetime as dt

from notes import services
from notes.models import TherapySession


def record(actor, client, service_type, **overrides) -> TherapySession:
    values = {
        "date": dt.date(2026, 11, 10),
        "start_time": dt.time(9, 30),
        "duration_minutes": 50,
        "service_type": service_type,
    } | overrides
    return services.record_session(actor=actor, client=client, **values)


def full_note(session):
    """The arguments of a note that touches every part of the plan it can."""
    from formulation.models import CoreConflict, DefenseMechanism
    from plans.models import Intervention, Objective

    plan = session.plan
    return {
        "objectives": [
            {
                "objective": Objective.objects.get(goal__plan=plan),
                "evidence": "Named the pattern with her sister.",
                "movement": "some_movement",
            }
        ],
        "interventions": list(Intervention.objects.filter(plan=plan)),
        "conflicts": [{"conflict": CoreConflict.objects.get(formulation__plan=plan), "intensity": "very_significant"}],
        "defenses": [
            {"mechanism": DefenseMechanism.objects.get(name="Isolation of affect"), "count": 3},
            {"mechanism": DefenseMechanism.objects.get(name="Humour"), "count": 1},
        ],
        "episodes": [
            {
                "other": "therapist",
                "wish": "to be looked after",
                "response_of_other": "you will tire of me",
                "response_of_self": "I say I am fine",
            },
            {
                "other": "sibling",
                "wish": "to be seen",
                "response_of_other": "she talks over me",
                "response_of_self": "I go quiet",
            },
        ],
        "risk": "none",
        "what_happened": "Spoke of the holiday break.",
        "plan_for_next_time": "Return to the break.",
    }


def held(actor, client, service_type, date, *, sign=True, **note):
    """An attended session on `date` with a note of `note`'s parts, signed unless `sign` is False."""
    session = record(actor, client, service_type, date=date)
    written = services.save_note(actor=actor, session=session, **note)
    if sign:
        services.sign_note(actor=actor, note=written)
    return session


def weekly_history(actor, client, service_type, weeks: int, *, start=dt.date(2026, 11, 3)):
    """`weeks` weekly sessions, each with a signed note touching the plan's first objective, two
    defenses and an episode, and every fifth a no-show: a history of any length for query counts."""
    from formulation.models import DefenseMechanism
    from plans.models import Objective

    objective = Objective.objects.filter(goal__plan=services.plan_in_force(client)).order_by("pk").first()
    denial = DefenseMechanism.objects.get(name="Denial", practice=None)
    humour = DefenseMechanism.objects.get(name="Humour", practice=None)
    for week in range(weeks):
        date = start + dt.timedelta(weeks=week)
        if week % 5 == 4:
            record(actor, client, service_type, date=date, attendance="no_show", reason="Did not come.")
            continue
        held(
            actor,
            client,
            service_type,
            date,
            objectives=[{"objective": objective, "evidence": f"Week {week}", "movement": "some_movement"}],
            defenses=[{"mechanism": denial, "count": 2}, {"mechanism": humour, "count": week % 3 + 1}],
            episodes=[
                {
                    "other": "partner",
                    "wish": "to be seen",
                    "response_of_other": "looks away",
                    "response_of_self": "I sulk",
                }
            ],
        )
