"""Which record a route is about, worked out from the URL resolver.

Used by the audit middleware (reads and denials) without touching any view. A route is
mapped by its keyword arguments: `pk` names the namespace's main record ("client" under
clients/, "plan" under plans/, the namespace's own name elsewhere), `client_pk` a client,
`item_pk` the item named by `kind`, and any other `<thing>_pk` a <thing>. `ROUTE_SUBJECTS`
lists the routes where that rule would guess wrong. Name new kwargs after what they identify
and they are covered.

Every URL namespace is clinical, so a successful GET of a route there that names a record is a
read of it, unless `NON_CLINICAL_NAMESPACES` lists it with the reason: a new app's routes are
recorded from its first request, and leaving one out is a decision written down here
(tests/audit/test_routes.py walks the resolver and holds every namespace to this).
"""

from __future__ import annotations

from django.apps import apps

from audit.log import Subject

# Routes a page polls on its own (with the X-Psyplan-Background header), each with why a poll is not a
# read worth a row: the page view that started the polling was recorded once. Denials are still recorded.
POLLED_ROUTES = {
    "records:export_detail": "the export page refreshes its own export's progress every 2 s; the fragment "
    "shows counts and status, no clinical content, and the page view itself is one read",
}

# Routes a page embeds (images), each with why: fetched with the page's stamp (audit/embedded.py) they
# are part of that page's one read. Without a valid stamp they are reads like any other.
EMBEDDED_ROUTES = {
    "progress:chart_objectives": "the plan page's chart of objective ratings, an image of what the page shows",
    "progress:chart_measure": "the plan page's chart of a measure's totals, an image of what the page shows",
}

# The namespaces whose successful GETs are not reads of a clinical record, each with why. Denied
# requests (403, 404) are recorded in every namespace, these included.
NON_CLINICAL_NAMESPACES = {
    "": "the home page and /healthz, which name no record (the home page links to records; their pages are reads)",
    "accounts": "sign-in, two-factor, passwords, staff and notifications: about staff, not clients; "
    "sign-in events and changes to staff and roles are recorded where they happen",
    "audit": "the audit page reads the access log itself, not a clinical record; its CSV export is recorded "
    "as audit_export by the view",
    "client_links": "the client's own pages under /c/<token>/ (issue 15), used without an account, so the "
    "middleware (which records signed-in staff) never sees them; their views record every open, date-of-birth "
    "check and submission through participation.services, with the link's client",
    "admin": "the Django admin, for superusers' maintenance rather than clinical work; its routes name "
    "records by object_id, which the route table does not map",
}

# namespace -> the record type its `pk` kwarg names, where that is not the namespace's own name.
# progress and records routes live under /plans/<pk>/, so their `pk` names the plan too.
PK_TYPES = {"clients": "client", "plans": "plan", "progress": "plan", "records": "plan"}


def is_clinical_namespace(namespace: str) -> bool:
    """Is a successful GET in this URL namespace a read of the record its route names?"""
    return namespace not in NON_CLINICAL_NAMESPACES


# view name -> (record type, kwarg holding its id); "@kind" takes the type from the `kind` kwarg.
ROUTE_SUBJECTS: dict[str, tuple[str, str | None]] = {
    "clients:list": ("client_list", None),
    "plans:template_set_active": ("plan_template", "pk"),
    "plans:template_preview": ("plan_template", "pk"),
    "plans:technique_describe": ("intervention_technique", "pk"),
    "plans:template_from_plan": ("plan", "pk"),
    "plans:comment_resolve": ("comment", "pk"),
    "plans:catalogue_add": ("catalogue", None),
    # The formulation editor's routes name the plan whose formulation they change.
    "formulation:section": ("plan", "pk"),
    "formulation:item_add": ("plan", "pk"),
    "progress:review_complete": ("progress_review", "pk"),
    "records:exports": ("bulk_export_list", None),
    "records:export_detail": ("bulk_export", "pk"),
    "records:export_retry": ("bulk_export", "pk"),
    "records:export_download": ("bulk_export", "pk"),
    # The plan's records through the API name the plan, as their pages do.
    "api:plan-pdf": ("plan", "pk"),
    "api:plan-fhir": ("plan", "pk"),
    # A session through the API names the session, and so its client (TYPE_MODELS).
    "api:session-detail": ("session", "pk"),
    "api:session-sign": ("session", "pk"),
    "api:session-addenda": ("session", "pk"),
    # A process note's read is also recorded by notes.services.read_process_note, with its client.
    "api:process-note-detail": ("process_note", "pk"),
    "api:process-note-withdraw": ("process_note", "pk"),
    # The practice admin's client-link pages name no record: the rates are counts over the practice.
    "participation:link_settings": ("practice_settings", None),
    "participation:response_rates": ("client_link_response_rates", None),
    # A client link through the API names the link, and so its client (TYPE_MODELS).
    "api:client-link-detail": ("client_link", "pk"),
    "api:client-link-revoke": ("client_link", "pk"),
    "accounts:staff_edit": ("membership", "pk"),
    "accounts:staff_set_active": ("membership", "pk"),
}

# A successful GET of these routes is recorded as this action rather than a plain read.
ROUTE_ACTIONS = {
    "records:pdf": "pdf_download",
    "records:export_download": "bulk_export",
    "api:plan-pdf": "pdf_download",
    "api:plan-fhir": "fhir_export",
}

# record type -> model label, where the model's name is not the type.
TYPE_MODELS = {
    "client": "clients.Client",
    "problem": "clients.PresentingProblem",
    "plan": "plans.TreatmentPlan",
    "plan_template": "plans.PlanTemplate",
    "goal": "plans.Goal",
    "objective": "plans.Objective",
    "intervention": "plans.Intervention",
    "comment": "plans.Comment",
    "signature": "plans.Signature",
    "formulation": "formulation.Formulation",
    "conflict": "formulation.CoreConflict",
    "defense": "formulation.DefenseObservation",
    "progress_review": "progress.ProgressReview",
    # Not Django's own sessions.Session: the notes app's therapy session, with its caseload door.
    "session": "notes.TherapySession",
    "bulk_export": "records.BulkExport",
    "client_link": "participation.ClientLink",
    "client_alert": "participation.ClientRiskAlert",
}


def route_subject(match) -> tuple[str, str] | None:
    """(record type, id) for a resolved route, ("", "") when it names none, None when unknown."""
    if match is None:
        return None
    kwargs = match.kwargs
    if match.view_name in ROUTE_SUBJECTS:
        kind, kwarg = ROUTE_SUBJECTS[match.view_name]
        if kind == "@kind":
            kind = str(kwargs.get("kind", ""))
        return kind, str(kwargs.get(kwarg, "")) if kwarg else ""
    if "item_pk" in kwargs:
        return str(kwargs.get("kind", "item")), str(kwargs["item_pk"])
    for name, value in kwargs.items():
        if name == "pk":
            namespace = match.namespaces[0] if match.namespaces else ""
            return PK_TYPES.get(namespace) or namespace or "record", str(value)
        if name.endswith("_pk"):
            return name[: -len("_pk")], str(value)
    return "", ""


def model_for(kind: str):
    label = TYPE_MODELS.get(kind)
    if label:
        try:
            return apps.get_model(label)
        except LookupError:
            return None
    # Any app's model with a caseload door, so a new app's records are found by their name.
    for model in apps.get_models():
        if model._meta.model_name == kind.replace("_", "") and _has_caseload_door(model._default_manager.all()):
            return model
    return None


def _has_caseload_door(queryset) -> bool:
    """Does this queryset answer who may see its records, and name its path to the client?

    That is accounts.access.CaseloadQuerySet, recognised by what it offers (`client_path`,
    `visible_to`) rather than by class: audit sits below accounts, which writes to the log, so
    it may not import the door.
    """
    return isinstance(getattr(queryset, "client_path", None), str) and callable(getattr(queryset, "visible_to", None))


def resolve_subject(kind: str, object_id: str) -> Subject:
    """Fill in the client and practice of a record, looked up without access rules (server side only)."""
    subject = Subject(object_type=kind, object_id=object_id)
    model = model_for(kind)
    if model is None or not object_id.isdigit():
        return subject
    queryset = model._default_manager.all()
    if not _has_caseload_door(queryset):
        return subject
    prefix = f"{queryset.client_path}__" if queryset.client_path else ""
    row = queryset.filter(pk=int(object_id)).values_list(f"{prefix}pk", f"{prefix}practice_id").first()
    if row is None:
        return subject
    return Subject(object_type=kind, object_id=object_id, client_id=row[0], practice_id=row[1])
