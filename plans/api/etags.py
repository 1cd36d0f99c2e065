"""How the API spells the ETags of plans and their content, and which plan locks
each record, the formulation's included (see core/api/etags.py)."""

from core.api import etags
from formulation.models import CoreConflict, DefenseObservation, Formulation
from plans.editor.services import plan_id_of
from plans.models import Goal, Intervention, Objective, TreatmentPlan


def _plan(plan_id: int) -> TreatmentPlan:
    return TreatmentPlan.objects.only("status").get(pk=plan_id)


def register() -> None:
    # A plan's status is part of its ETag: submitting or approving changes what may be done to it.
    etags.register(
        TreatmentPlan, token=lambda obj: f"plan-{obj.pk}-v{obj.version}-{obj.status}", plan_of=lambda obj: obj
    )
    for model, kind in ((Goal, "goal"), (Objective, "objective"), (Intervention, "intervention")):
        etags.register(
            model,
            token=lambda obj, kind=kind: f"{kind}-{obj.pk}-v{obj.version}",
            plan_of=lambda obj: _plan(plan_id_of(obj)),
        )
    etags.register(Formulation, plan_of=lambda obj: _plan(obj.plan_id))
    for model in (CoreConflict, DefenseObservation):
        etags.register(model, plan_of=lambda obj: _plan(plan_id_of(obj)))
