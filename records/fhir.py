"""A plan version as a FHIR R4 (4.0.1) Bundle of type `collection`. The whole mapping lives here.

- Client -> `Patient`; each presenting problem the plan addresses -> `Condition` (ICD-10-CM coded
  when there is a code); author and co-signer -> `Practitioner`;
- the plan version -> `CarePlan` (status and intent from the lifecycle, `addresses`, `goal`,
  `activity` per intervention, `replaces` the previous version);
- each goal -> `Goal` without a target; each objective -> `Goal` with `target` and `achievementStatus`;
  either's text in the client's words, when written, is a `note` ("In the client's words: …");
- each session recorded against the plan version -> `Encounter` (status from the attendance, class
  from the modality, `period`, `length`, `serviceType`, the clinician as participant and the plan's
  Conditions as `reasonReference`). Nothing of the progress note goes out, and process notes and the
  formulation's countertransference never do;
- each client agreement to the version -> `Provenance` targeting the CarePlan, with a "Consent
  Signature" (ISO/ASTM E1762) by the Patient, when it was given, how (in session or through a client
  link, as `activity`), and the version's canonical content hash it is bound to (as its `entity`).

The README's "FHIR R4 export" table says the same field by field; the dictionaries below are the
source of truth for coded values.

Every resource's `fullUrl` is a `urn:uuid:` derived from what it is and its database id, so
references resolve inside the bundle and the same record has the same identity in every export
(a `replaces` reference finds the previous version's CarePlan in that version's bundle).
"""

import datetime as dt
import uuid

from django.db.models import Prefetch
from django.utils import timezone

from notes.models import TherapySession
from plans.lifecycle import quotes
from plans.models import Goal, Intervention, Objective, Signature, TreatmentPlan
from progress import measures
from progress.models import MeasureScore, ObjectiveProgress, ProgressReview

NAMESPACE = uuid.UUID("8a1f0a52-3a56-4a5c-9d0e-0c5e8f1f7a10")
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"

# Plan lifecycle -> CarePlan.status (request-status). A version replaced by an amendment is revoked,
# with the amendment's CarePlan naming it in `replaces`.
PLAN_STATUS = {
    "draft": "draft",
    "in_review": "draft",
    "changes_requested": "draft",
    "active": "active",
    "superseded": "revoked",
    "closed": "completed",
}
# Plan lifecycle -> Goal.lifecycleStatus of its goals and objectives.
GOAL_LIFECYCLE = {
    "draft": "proposed",
    "in_review": "proposed",
    "changes_requested": "proposed",
    "active": "active",
    "superseded": "cancelled",
    "closed": "completed",
}
# An objective's own status, where it says more than the plan's.
OBJECTIVE_LIFECYCLE = {"met": "completed", "discontinued": "cancelled"}
# Plan lifecycle -> CarePlan.activity.detail.status for its interventions.
ACTIVITY_STATUS = {
    "draft": "not-started",
    "in_review": "not-started",
    "changes_requested": "not-started",
    "active": "in-progress",
    "superseded": "stopped",
    "closed": "completed",
}
# A measure-bound objective's achievement (progress.measures) -> Goal.achievementStatus.
MEASURE_ACHIEVEMENT = {
    "in_progress": "in-progress",
    "improving": "improving",
    "worsening": "worsening",
    "no_change": "no-change",
    "achieved": "achieved",
    "not_achieved": "not-achieved",
}
# A review entry's status -> Goal.achievementStatus, for objectives without a measure.
REVIEW_ACHIEVEMENT = {
    "not_started": "no-progress",
    "progressing": "in-progress",
    "partially_met": "improving",
    "met": "achieved",
    "discontinued": "not-attainable",
}
ACHIEVEMENT_DISPLAY = {
    "in-progress": "In Progress",
    "improving": "Improving",
    "worsening": "Worsening",
    "no-change": "No Change",
    "achieved": "Achieved",
    "sustaining": "Sustaining",
    "not-achieved": "Not Achieved",
    "no-progress": "No Progress",
    "not-attainable": "Not Attainable",
}
SEVERITY = {"mild": ("255604002", "Mild"), "moderate": ("6736007", "Moderate"), "severe": ("24484000", "Severe")}
# LOINC codes of the built-in measures' total scores.
MEASURE_LOINC = {"phq9": ("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]")}
MEASURE_LOINC["gad7"] = ("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]")
COMPARATOR = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# A client agreement's signature type (R4 signature-type value set) and its signer's role.
CONSENT_SIGNATURE = {"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.7"}
CONSENT_SIGNATURE["display"] = "Consent Signature"
PROVENANCE_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
# The SHA-256 of a version's canonical JSON (plans/lifecycle/canonical.py), which a signature binds.
CONTENT_HASH_SYSTEM = "urn:psyplan:plan-content-sha256"
# Attendance -> Encounter.status (R4 encounter-status). R4 has no "no-show" status and no
# statusReason: a session that did not take place is "cancelled", and why is said with the core
# extension encounter-reasonCancelled (its free-text reason stays in the record).
ENCOUNTER_STATUS = {
    "attended": "finished",
    "late_cancellation": "cancelled",
    "no_show": "cancelled",
    "cancelled_by_clinician": "cancelled",
}
REASON_CANCELLED = "http://hl7.org/fhir/StructureDefinition/encounter-reasonCancelled"
# Modality -> Encounter.class (v3 ActCode): ambulatory in person, virtual by video or telephone.
ENCOUNTER_CLASS = {
    "in_person": ("AMB", "ambulatory"),
    "video": ("VR", "virtual"),
    "telephone": ("VR", "virtual"),
}


def _id(kind: str, pk) -> str:
    return str(uuid.uuid5(NAMESPACE, f"psyplan:{kind}:{pk}"))


def _ref(kind: str, pk) -> dict:
    return {"reference": f"urn:uuid:{_id(kind, pk)}"}


def _entry(kind: str, pk, resource: dict) -> dict:
    return {"fullUrl": f"urn:uuid:{_id(kind, pk)}", "resource": {**resource, "id": _id(kind, pk)}}


def _drop_empty(resource: dict) -> dict:
    """FHIR forbids empty strings, lists and objects: leave such elements out."""
    return {k: v for k, v in resource.items() if v not in ("", None, [], {})}


def _text(value: str) -> dict:
    return {"text": value}


def _patient(client) -> dict:
    names = [{"use": "official", "family": client.family_name, "given": [client.given_name]}]
    if client.preferred_name:
        names.append({"use": "usual", "family": client.family_name, "given": [client.preferred_name]})
    telecom = []
    if client.email:
        telecom.append({"system": "email", "value": client.email})
    if client.phone:
        telecom.append({"system": "phone", "value": client.phone})
    return _drop_empty(
        {
            "resourceType": "Patient",
            "identifier": [
                {
                    "use": "usual",
                    "type": _text("Chart number"),
                    "system": f"urn:psyplan:practice:{client.practice_id}:chart-number",
                    "value": client.chart_number,
                }
            ],
            "active": client.is_active,
            "name": names,
            "telecom": telecom,
            "birthDate": client.date_of_birth.isoformat(),
            "address": [{"text": client.address}] if client.address else [],
        }
    )


def _practitioner(user) -> dict:
    return _drop_empty(
        {
            "resourceType": "Practitioner",
            "active": user.is_active,
            "name": [{"text": user.get_full_name(), "family": user.family_name, "given": [user.given_name]}],
            "qualification": [{"code": _text(user.credentials)}] if user.credentials else [],
        }
    )


def _condition(problem, patient_ref: dict) -> dict:
    code = _text(problem.title)
    if problem.diagnosis_code:
        coding = {"system": ICD10CM, "code": problem.diagnosis_code}
        if problem.diagnosis_label:
            coding["display"] = problem.diagnosis_label
        code = {"coding": [coding], "text": problem.diagnosis_label or problem.title}
    severity_code, severity_display = SEVERITY.get(problem.severity, (None, None))
    notes = [
        f"In the client's words: {problem.clients_words}" if problem.clients_words else "",
        f"Observed: {problem.observed_symptoms}" if problem.observed_symptoms else "",
        f"Duration: {problem.duration}" if problem.duration else "",
        f"Impact on functioning: {problem.functional_impact}" if problem.functional_impact else "",
    ]
    return _drop_empty(
        {
            "resourceType": "Condition",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": "inactive" if problem.archived_at else "active",
                    }
                ]
            },
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                            "code": "problem-list-item",
                            "display": "Problem List Item",
                        }
                    ]
                }
            ],
            "severity": {"coding": [{"system": SNOMED, "code": severity_code, "display": severity_display}]}
            if severity_code
            else None,
            "code": code,
            "subject": patient_ref,
            "onsetString": problem.onset,
            "recordedDate": problem.created_at.date().isoformat(),
            "note": [{"text": n} for n in notes if n],
        }
    )


def _service_type(service_type) -> dict:
    # A practice's own service types are coded in that practice's system, the built-in ones in ours.
    system = (
        f"urn:psyplan:practice:{service_type.practice_id}:service-type"
        if service_type.practice_id
        else "urn:psyplan:service-type"
    )
    return {
        "coding": [{"system": system, "code": service_type.code, "display": service_type.name}],
        "text": service_type.name,
    }


def _encounter(session: TherapySession, patient_ref: dict, condition_refs: list[dict]) -> dict:
    code, display = ENCOUNTER_CLASS[session.modality]
    status = ENCOUNTER_STATUS[session.attendance]
    # In the practice's zone, as the session was entered.
    start = session.local_starts_at
    end = start + dt.timedelta(minutes=session.duration_minutes)
    resource = {
        "resourceType": "Encounter",
        "status": status,
        "class": {"system": V3_ACT_CODE, "code": code, "display": display},
        "serviceType": _service_type(session.service_type),
        "subject": patient_ref,
        "participant": [{"individual": _ref("user", session.clinician_id)}],
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "length": {
            "value": session.duration_minutes,
            "unit": "min",
            "system": "http://unitsofmeasure.org",
            "code": "min",
        },
        "reasonReference": condition_refs,
        "extension": [{"url": REASON_CANCELLED, "valueCodeableConcept": _text(session.get_attendance_display())}]
        if status == "cancelled"
        else [],
    }
    return _drop_empty(resource)


def _agreement(signature: Signature, plan_ref: dict, patient_ref: dict) -> dict:
    """A client's agreement to the version: who signed (the Patient, with the name they typed),
    when, how, and the content it is bound to."""
    signer = {**patient_ref, "display": signature.printed_name}
    return {
        "resourceType": "Provenance",
        "target": [plan_ref],
        "recorded": signature.signed_at.isoformat(),
        "activity": _text(f"Client agreement to the treatment plan: {signature.get_signing_method_display().lower()}")
        if signature.signing_method
        else _text("Client agreement to the treatment plan"),
        "agent": [
            {
                "type": {"coding": [{"system": PROVENANCE_PARTICIPANT, "code": "author", "display": "Author"}]},
                "who": signer,
            }
        ],
        "entity": [
            {
                "role": "source",
                "what": {
                    "identifier": {"system": CONTENT_HASH_SYSTEM, "value": signature.content_hash},
                    "display": "The plan version's canonical content, by its SHA-256",
                },
            }
        ],
        "signature": [{"type": [CONSENT_SIGNATURE], "when": signature.signed_at.isoformat(), "who": signer}],
    }


def _notes(*texts: str) -> list[dict]:
    """Goal.note (R4: 0..* Annotation, "comments about the goal"), one per non-empty text."""
    return [{"text": text} for text in texts if text]


def _in_clients_words(item) -> str:
    # As a Condition's note carries the problem in the client's words (_condition).
    return f"In the client's words: {item.clients_words}" if item.clients_words else ""


def _goal_relationship(target_ref: dict, relation: str) -> dict:
    return {
        "url": "http://hl7.org/fhir/StructureDefinition/goal-relationship",
        "extension": [
            {
                "url": "type",
                "valueCodeableConcept": {
                    "coding": [{"system": "http://hl7.org/fhir/goal-relationship-type", "code": relation}]
                },
            },
            {"url": "target", "valueReference": target_ref},
        ],
    }


def _lineage_identifier(lineage) -> list[dict]:
    # The same item keeps its lineage across plan versions.
    return [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{lineage}"}]


def _objective_target(objective: Objective) -> dict:
    target: dict = {}
    definition = objective.bound_measure
    if definition is not None and objective.bound_comparator and objective.bound_threshold is not None:
        loinc = MEASURE_LOINC.get(definition.code)
        measure = {"text": definition.name}
        if loinc:
            measure["coding"] = [{"system": LOINC, "code": loinc[0], "display": loinc[1]}]
        target["measure"] = measure
        target["detailQuantity"] = {
            "value": objective.bound_threshold,
            "comparator": COMPARATOR[objective.bound_comparator],
            "unit": "score",
            "system": "http://unitsofmeasure.org",
            "code": "{score}",
        }
    else:
        if objective.measure:
            target["measure"] = _text(objective.measure)
        if objective.target:
            target["detailString"] = objective.target
    if objective.target_date:
        target["dueDate"] = objective.target_date.isoformat()
    return target


def _achievement(objective: Objective, scores: list, latest_entries: dict, today) -> str | None:
    """A bound measure's achievement from the scores; otherwise the latest completed review's finding."""
    from_measure = measures.achievement(objective, scores, today)
    if from_measure:
        return MEASURE_ACHIEVEMENT[from_measure]
    entry = latest_entries.get(objective.lineage)
    if entry is None:
        return None
    if entry.achievement in MEASURE_ACHIEVEMENT:
        return MEASURE_ACHIEVEMENT[entry.achievement]
    return REVIEW_ACHIEVEMENT.get(entry.status)


def _load(plan: TreatmentPlan):
    plan = (
        TreatmentPlan.objects.select_related("client__practice", "author", "previous_version", "quote")
        .prefetch_related("presenting_problems")
        .get(pk=plan.pk)
    )
    objectives = Objective.objects.current().select_related("bound_measure").prefetch_related("presenting_problems")
    goals = list(
        Goal.objects.current()
        .filter(plan=plan)
        .prefetch_related(Prefetch("objectives", queryset=objectives, to_attr="current_objectives"))
    )
    interventions = list(
        Intervention.objects.current()
        .filter(plan=plan)
        .select_related("technique")
        .prefetch_related(Prefetch("objectives", queryset=Objective.objects.current()))
    )
    signatures = list(plan.signatures.valid().select_related("signer"))
    scores = list(MeasureScore.objects.filter(client_id=plan.client_id).select_related("definition"))
    # The latest completed review of any version of this plan, entries keyed by objective lineage.
    latest_review = (
        ProgressReview.objects.filter(
            plan__lineage=plan.lineage, plan__client_id=plan.client_id, status=ProgressReview.Status.COMPLETED
        )
        .order_by("-completed_on", "-completed_at", "-pk")
        .first()
    )
    latest_entries = {}
    if latest_review is not None:
        for entry in ObjectiveProgress.objects.filter(review=latest_review).select_related("objective"):
            latest_entries[entry.objective.lineage] = entry
    sessions = list(
        TherapySession.objects.filter(plan=plan).select_related("service_type", "clinician").order_by("starts_at", "pk")
    )
    return plan, goals, interventions, signatures, scores, latest_entries, sessions


def plan_bundle(plan: TreatmentPlan) -> dict:
    plan, goals, interventions, signatures, scores, latest_entries, sessions = _load(plan)
    client = plan.client
    today = client.practice.today()
    patient_ref = _ref("client", client.pk)
    entries = [_entry("client", client.pk, _patient(client))]

    practitioners = {plan.author_id: plan.author}
    co_signers = []
    for signature in signatures:
        if signature.meaning == Signature.Meaning.REVIEWED_AND_APPROVED and signature.signer_id:
            practitioners.setdefault(signature.signer_id, signature.signer)
            co_signers.append(signature.signer_id)
    for session in sessions:
        practitioners.setdefault(session.clinician_id, session.clinician)
    for user_id, user in practitioners.items():
        entries.append(_entry("user", user_id, _practitioner(user)))

    # A submitted version's conditions read as it quotes them, not as the client's record reads now.
    problems = quotes.plan_problems(plan)
    for problem in problems:
        entries.append(_entry("problem", problem.pk, _condition(problem, patient_ref)))

    plan_lifecycle = GOAL_LIFECYCLE[plan.status]
    goal_refs = []
    goal_entries = []
    for goal in goals:
        objective_entries = []
        for objective in goal.current_objectives:
            achievement = _achievement(objective, scores, latest_entries, today)
            resource = {
                "resourceType": "Goal",
                "identifier": _lineage_identifier(objective.lineage),
                "lifecycleStatus": OBJECTIVE_LIFECYCLE.get(objective.status, plan_lifecycle),
                "achievementStatus": {
                    "coding": [
                        {"system": GOAL_ACHIEVEMENT, "code": achievement, "display": ACHIEVEMENT_DISPLAY[achievement]}
                    ]
                }
                if achievement
                else None,
                "category": [_text("Objective (SMART)")],
                "description": _text(objective.statement),
                "subject": patient_ref,
                "startDate": plan.start_date.isoformat(),
                "target": [_objective_target(objective)] if _objective_target(objective) else [],
                "expressedBy": _ref("user", plan.author_id),
                "addresses": [_ref("problem", p.pk) for p in objective.presenting_problems.all()],
                "note": _notes(
                    f"Baseline: {objective.baseline}" if objective.baseline else "", _in_clients_words(objective)
                ),
                "extension": [_goal_relationship(_ref("goal", goal.pk), "other")],
            }
            objective_entries.append(_entry("objective", objective.pk, _drop_empty(resource)))
        resource = {
            "resourceType": "Goal",
            "identifier": _lineage_identifier(goal.lineage),
            "lifecycleStatus": plan_lifecycle,
            "category": [_text("Goal")],
            "description": _text(goal.statement),
            "subject": patient_ref,
            "startDate": plan.start_date.isoformat(),
            "expressedBy": _ref("user", plan.author_id),
            "note": _notes(goal.description, _in_clients_words(goal)),
            "extension": [_goal_relationship(_ref("objective", o.pk), "milestone") for o in goal.current_objectives],
        }
        goal_entries.append(_entry("goal", goal.pk, _drop_empty(resource)))
        goal_entries.extend(objective_entries)
        goal_refs.append(_ref("goal", goal.pk))
        goal_refs.extend(_ref("objective", o.pk) for o in goal.current_objectives)

    activities = []
    for intervention in interventions:
        detail = {
            "kind": "ServiceRequest",
            "code": _text(intervention.technique.name),
            "goal": [_ref("objective", o.pk) for o in intervention.objectives.all()],
            "status": ACTIVITY_STATUS[plan.status],
            "scheduledString": intervention.frequency,
            "performer": [_ref("user", plan.author_id)],
            "description": intervention.rationale,
        }
        activities.append({"detail": _drop_empty(detail)})

    care_plan = {
        "resourceType": "CarePlan",
        "identifier": [
            {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{plan.lineage}"},
            {"system": "urn:psyplan:plan-version", "value": f"{plan.lineage}/{plan.version_number}"},
        ],
        "replaces": [_ref("plan", plan.previous_version_id)] if plan.previous_version_id else [],
        "status": PLAN_STATUS[plan.status],
        "intent": "plan",
        "category": [_text("Psychodynamic treatment plan")],
        "title": f"Treatment plan, version {plan.version_number}",
        "subject": patient_ref,
        "period": {"start": plan.start_date.isoformat(), "end": plan.horizon_date.isoformat()},
        "created": plan.created_at.isoformat(),
        "author": _ref("user", plan.author_id),
        "contributor": [_ref("user", user_id) for user_id in co_signers],
        "addresses": [_ref("problem", p.pk) for p in problems],
        "goal": goal_refs,
        "activity": activities,
    }
    entries.append(_entry("plan", plan.pk, _drop_empty(care_plan)))
    for signature in signatures:
        if signature.meaning == Signature.Meaning.CLIENT_AGREEMENT:
            entries.append(
                _entry("client_agreement", signature.pk, _agreement(signature, _ref("plan", plan.pk), patient_ref))
            )
    entries.extend(goal_entries)
    condition_refs = [_ref("problem", p.pk) for p in problems]
    for session in sessions:
        entries.append(_entry("session", session.pk, _encounter(session, patient_ref, condition_refs)))
    return {"resourceType": "Bundle", "type": "collection", "timestamp": timezone.now().isoformat(), "entry": entries}
