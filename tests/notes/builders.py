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
