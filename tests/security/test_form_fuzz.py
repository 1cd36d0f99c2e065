"""Every HTML form endpoint answers malformed input with a form error or a 4xx, never a 500.

The API has Schemathesis (tests/api/test_schemathesis.py); this is the same guarantee for the
browser's forms. Routes come from the URL resolver (as in the attacker walk), so a route added
later fails here until it is given sample arguments below. Each route is requested as a person
who may use it, on records of theirs: its page (and every page of the walk) is read to learn the
forms that post to it, their fields and a valid value for each; then each field in turn gets
malformed values of its type (overlong text, NUL bytes, non-numbers, out-of-range and impossible
dates, huge integers, unknown choices), and the route gets one post with every field missing, one
with every field sent twice (a list where a scalar is expected) and one that is not UTF-8. Filter
forms (method GET, such as the audit page's) get the same values through the query string. No
answer may be a 5xx or show a traceback. Each route runs in a savepoint that is rolled back, so
what one route changes (a submitted plan, a disabled account) does not hide another's forms.

Deterministic, and a few seconds on SQLite: the malformed values are fixed, not generated.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.factories import PASSWORD, ClientFactory, make_plan
from tests.security.test_attacker import all_routes

pytestmark = pytest.mark.django_db

# Route families the walk leaves out, and why.
NOT_HTML_FORMS = ("api:", "admin:")
SKIPPED = {
    "accounts:logout": "ends the session (it takes no input)",
    "healthz": "a health check, no input",
}

# Routes that answer 404 to the walk by design.
UNREACHED = {"records:export_download": "only a finished export downloads; the walk's export never ran"}

HX = {"HX-Request": "true"}

# Longer than any field's max_length (the longest is 5000), small enough to keep the walk fast.
OVERLONG = "x" * 20_000
MALFORMED = {
    "text": [OVERLONG, "a\x00b"],
    "number": ["abc", "9" * 40, "1e309"],
    "date": ["9999-12-31", "0001-01-01", "2026-02-30", "not-a-date"],
    "choice": ["no-such-choice", "9" * 40],
    "hidden": ["abc", "9" * 40],
}
VALID = {"text": "Fuzz text", "number": "1", "date": "2026-11-16", "choice": "", "hidden": ""}


@dataclass
class Field:
    name: str
    kind: str  # text, number, date, choice, hidden
    value: str
    options: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class World:
    users: dict
    ids: dict


@pytest.fixture
def world(practice, clinician, colleague, trainee, supervisor, admin) -> World:
    from formulation.models import Formulation
    from plans.lifecycle import comments, transitions
    from plans.models import InterventionTechnique, MeasureDefinition, PlanTemplate
    from progress import services
    from records import exports
    from tests.two_factor import enroll

    own = ClientFactory(primary_clinician=clinician)
    draft = make_plan(own)
    active = transitions.submit_plan(actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician)))
    in_review = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    returned = transitions.submit_plan(actor=trainee, plan=make_plan(ClientFactory(primary_clinician=trainee)))
    returned = transitions.request_changes(actor=supervisor, plan=returned, comment="Please name the conflict.")
    comment = comments.add_comment(actor=supervisor, plan=draft, body="Consider the defense.")
    review = services.start_review_now(actor=clinician, plan=active)
    template = PlanTemplate.objects.create(practice=practice, name="Practice template", created_by=admin)
    technique = InterventionTechnique.objects.create(practice=practice, name="Practice technique")
    export = exports.request_export(actor=admin)
    services.record_measure(
        actor=clinician,
        client=active.client,
        definition=MeasureDefinition.objects.get(code="phq9"),
        recorded_on=active.client.practice.today(),
        items=[1] * 9,
    )
    enroll(colleague)  # two-factor by choice, so it may be switched off
    sessions = _sessions_of(clinician, supervisor, active.client)
    sessions |= _client_link_of(clinician, active.client)
    sessions |= _agreement_link_of(clinician, active)
    goal = draft.goals.get()
    items = {
        "goal": goal.pk,
        "objective": goal.objectives.get().pk,
        "intervention": draft.interventions.get().pk,
        "conflict": draft.formulation.conflicts.get().pk,
        "defense": draft.formulation.defenses.get().pk,
    }
    ids = {
        "client": own.pk,
        "draft": draft.pk,
        "active": active.pk,
        "in_review": in_review.pk,
        "returned": returned.pk,
        "comment": comment.pk,
        "review": review.pk,
        "template": template.pk,
        "technique": technique.pk,
        "export": export.pk,
        "goal": goal.pk,
        "items": items,
        "sections": sorted(Formulation.SECTIONS),
        "colleague_membership": colleague.membership.pk,
        "supervisor_membership": supervisor.membership.pk,
        "uidb64": urlsafe_base64_encode(force_bytes(colleague.pk)),
        "reset_token": default_token_generator.make_token(colleague),
        **sessions,
    }
    users = {
        "clinician": clinician,
        "trainee": trainee,
        "supervisor": supervisor,
        "admin": admin,
        "anonymous": None,
        "pending_two_factor": admin,
        "colleague": colleague,
    }
    return World(users, ids)


def _client_link_of(clinician, client) -> dict:
    """An open client link: its id for the staff routes, its token for the client's pages."""
    from participation import services as links
    from participation.models import ClientLink

    link, path = links.create_link(
        actor=clinician,
        client=client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        delivery=ClientLink.Delivery.HAND,
        measure_codes=["phq9", "gad7"],
    )
    answered, _ = links.create_link(
        actor=clinician,
        client=client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        delivery=ClientLink.Delivery.HAND,
        measure_codes=["phq9"],
    )
    (alert,) = links.submit_questionnaires(link=answered, answers={"phq9": [0] * 8 + [1]}).alerts
    return {"client_link": link.pk, "client_link_token": path.strip("/").split("/")[-1], "client_alert": alert.pk}


def _agreement_link_of(clinician, plan) -> dict:
    """An open agreement link to the active plan: its token for the client's agreement pages."""
    from participation import services as links
    from participation.models import ClientLink

    _, path = links.create_link(
        actor=clinician,
        client=plan.client,
        purpose=ClientLink.Purpose.AGREEMENT,
        delivery=ClientLink.Delivery.HAND,
        plan=plan,
    )
    return {"agreement_link_token": path.strip("/").split("/")[-1]}


def _sessions_of(clinician, supervisor, client) -> dict:
    """A session with a draft note, one signed, and a private note shared with the supervisor."""
    from notes import services as notes
    from notes.models import ProgressNote, ServiceType

    individual = ServiceType.objects.get(practice=None, code="individual")
    values = {"start_time": dt.time(9, 30), "duration_minutes": 50, "service_type": individual}
    draft = notes.record_session(actor=clinician, client=client, date=dt.date(2026, 11, 10), **values)
    notes.save_note(actor=clinician, session=draft, what_happened="Draft text.")
    signed = notes.record_session(actor=clinician, client=client, date=dt.date(2026, 11, 3), **values)
    notes.save_note(actor=clinician, session=signed, what_happened="Signed text.")
    notes.sign_note(actor=clinician, note=ProgressNote.objects.get(session=signed))
    private = notes.write_process_note(actor=clinician, client=client, text="Private fuzz.")
    share = notes.share_process_note(actor=clinician, note=private, supervisor=supervisor)
    return {
        "session_client": client.pk,
        "session": draft.pk,
        "signed_session": signed.pk,
        "process_note": private.pk,
        "share": share.pk,
    }


def _samples(name: str, w: World) -> tuple[str, list[str]] | None:
    """(role, URLs) for a route: a person who may use it, and URLs naming records of theirs."""
    from formulation.views import ITEMS as FORMULATION_ITEMS
    from plans.editor.views import ITEMS as PLAN_ITEMS

    i = w.ids

    def url(**kwargs) -> str:
        return reverse(name, kwargs=kwargs)

    plan_routes = {
        # route: (role, plan)
        "plans:detail": ("clinician", "draft"),
        "plans:details_save": ("clinician", "draft"),
        "plans:structure": ("clinician", "draft"),
        "plans:smart_preview": ("clinician", "draft"),
        "plans:submit": ("clinician", "draft"),
        "plans:comment_add": ("clinician", "draft"),
        "plans:compare": ("clinician", "active"),
        "records:pdf": ("clinician", "active"),
        "records:client_version": ("clinician", "active"),
        "plans:client_agreement": ("clinician", "active"),
        "progress:chart_objectives": ("clinician", "active"),
        "plans:amend": ("clinician", "active"),
        "plans:close": ("clinician", "active"),
        "progress:review_start": ("clinician", "active"),
        "plans:approve": ("supervisor", "in_review"),
        "plans:request_changes": ("supervisor", "in_review"),
        "plans:revise": ("trainee", "returned"),
        "plans:template_from_plan": ("admin", "active"),
    }
    if name in plan_routes:
        role, plan = plan_routes[name]
        return role, [url(pk=i[plan])]
    kinds = i["items"]
    table = {
        "clients:create": ("clinician", lambda: [url()]),
        "clients:detail": ("clinician", lambda: [url(pk=i["client"])]),
        "clients:edit": ("clinician", lambda: [url(pk=i["client"])]),
        "clients:discharge": ("clinician", lambda: [url(pk=i["client"])]),
        "clients:problem_create": ("clinician", lambda: [url(pk=i["client"])]),
        "plans:create": ("clinician", lambda: [url(client_pk=i["client"])]),
        "formulation:section": ("clinician", lambda: [url(pk=i["draft"], section=s) for s in i["sections"]]),
        "plans:item_add": (
            "clinician",
            lambda: (
                [url(pk=i["draft"], kind=k) for k in PLAN_ITEMS if k != "objective"]
                + [url(pk=i["draft"], kind="objective") + f"?goal={i['goal']}"]
            ),
        ),
        "plans:item_edit": ("clinician", lambda: [url(kind=k, item_pk=kinds[k]) for k in PLAN_ITEMS]),
        "plans:item_remove": ("clinician", lambda: [url(kind="goal", item_pk=kinds["goal"])]),
        "plans:item_move": ("clinician", lambda: [url(kind="goal", item_pk=kinds["goal"], direction="down")]),
        "formulation:item_add": ("clinician", lambda: [url(pk=i["draft"], kind=k) for k in FORMULATION_ITEMS]),
        "formulation:item_edit": ("clinician", lambda: [url(kind=k, item_pk=kinds[k]) for k in FORMULATION_ITEMS]),
        "formulation:item_remove": ("clinician", lambda: [url(kind="conflict", item_pk=kinds["conflict"])]),
        "formulation:item_move": (
            "clinician",
            lambda: [url(kind="conflict", item_pk=kinds["conflict"], direction="down")],
        ),
        "plans:comment_resolve": ("clinician", lambda: [url(pk=i["comment"])]),
        "progress:review_complete": ("clinician", lambda: [url(pk=i["review"])]),
        "progress:measure_record": ("clinician", lambda: [url(pk=i["active"], code="phq9")]),
        "progress:chart_measure": ("clinician", lambda: [url(pk=i["active"], code="phq9")]),
        "plans:catalogue_add": (
            "admin",
            lambda: [url(kind=k) for k in ("technique", "defense", "conflict", "measure", "service")],
        ),
        "plans:template_set_active": ("admin", lambda: [url(pk=i["template"])]),
        "plans:template_preview": ("clinician", lambda: [url(pk=i["template"])]),
        "plans:technique_describe": ("admin", lambda: [url(pk=i["technique"])]),
        "notes:session_list": ("clinician", lambda: [url(client_pk=i["session_client"])]),
        "notes:session_record": ("clinician", lambda: [url(client_pk=i["session_client"])]),
        "notes:session_detail": (
            "clinician",
            lambda: [url(session_pk=i["session"]), url(session_pk=i["signed_session"])],
        ),
        "notes:session_edit": (
            "clinician",
            lambda: [url(session_pk=i["session"]), url(session_pk=i["signed_session"])],
        ),
        "notes:note_save": ("clinician", lambda: [url(session_pk=i["session"])]),
        "notes:note_sign": ("clinician", lambda: [url(session_pk=i["session"])]),
        "notes:note_addendum": ("clinician", lambda: [url(session_pk=i["signed_session"])]),
        "notes:process_notes": ("clinician", lambda: [url(client_pk=i["session_client"])]),
        "notes:process_note": ("clinician", lambda: [url(process_note_pk=i["process_note"])]),
        "notes:process_note_share": ("clinician", lambda: [url(process_note_pk=i["process_note"])]),
        "notes:process_note_withdraw": ("clinician", lambda: [url(process_note_pk=i["process_note"])]),
        "notes:process_note_revoke": ("clinician", lambda: [url(share_pk=i["share"])]),
        "participation:link_create": ("clinician", lambda: [url(client_pk=i["session_client"])]),
        "participation:link_revoke": ("clinician", lambda: [url(client_link_pk=i["client_link"])]),
        "participation:link_settings": ("admin", lambda: [url()]),
        "participation:response_rates": ("admin", lambda: [url()]),
        "participation:alert_acknowledge": ("clinician", lambda: [url(client_alert_pk=i["client_alert"])]),
        # The client's pages, used without an account.
        "client_links:start": ("anonymous", lambda: [url(token=i["client_link_token"])]),
        "client_links:questionnaire": ("anonymous", lambda: [url(token=i["client_link_token"])]),
        "client_links:done": ("anonymous", lambda: [url(token=i["client_link_token"])]),
        "client_links:agreement": ("anonymous", lambda: [url(token=i["agreement_link_token"])]),
        "client_links:agreement_pdf": ("anonymous", lambda: [url(token=i["agreement_link_token"])]),
        "client_links:agreement_done": ("anonymous", lambda: [url(token=i["agreement_link_token"])]),
        "participation:agreement_link_create": ("clinician", lambda: [url(plan_pk=i["active"])]),
        "records:export_detail": ("admin", lambda: [url(pk=i["export"])]),
        "records:export_retry": ("admin", lambda: [url(pk=i["export"])]),
        "records:export_download": ("admin", lambda: [url(pk=i["export"])]),
        "records:exports": ("admin", lambda: [url()]),
        "plans:library": ("admin", lambda: [url()]),
        "plans:signoff_queue": ("supervisor", lambda: [url()]),
        "accounts:staff_list": ("admin", lambda: [url()]),
        "accounts:staff_invite": ("admin", lambda: [url()]),
        "accounts:staff_edit": ("admin", lambda: [url(pk=i["colleague_membership"])]),
        # The supervisor's deactivation page carries the reassignment select; the colleague supervises nobody.
        "accounts:staff_set_active": (
            "admin",
            lambda: [url(pk=i["supervisor_membership"]), url(pk=i["colleague_membership"])],
        ),
        "accounts:security_settings": ("admin", lambda: [url()]),
        "audit:log": ("admin", lambda: [url()]),
        "accounts:two_factor_disable": ("colleague", lambda: [url()]),
        "accounts:two_factor_backup_codes": ("admin", lambda: [url()]),
        "accounts:two_factor_verify": ("pending_two_factor", lambda: [url()]),
        "accounts:login": ("anonymous", lambda: [url()]),
        "accounts:password_reset": ("anonymous", lambda: [url()]),
        "accounts:password_reset_done": ("anonymous", lambda: [url()]),
        "accounts:password_reset_complete": ("anonymous", lambda: [url()]),
        # The emailed link stores its token in the session and redirects to the set-password form.
        "accounts:password_reset_confirm": (
            "anonymous",
            lambda: [url(uidb64=i["uidb64"], token=i["reset_token"]), url(uidb64=i["uidb64"], token="set-password")],
        ),
    }
    if name in table:
        role, urls = table[name]
        return role, urls()
    try:
        return "clinician", [url()]  # routes without arguments (home, notifications, password change, ...)
    except NoReverseMatch:
        return None


def _sign_in(web, role: str, w: World) -> None:
    from accounts.auth import has_two_factor, two_factor_required
    from tests.two_factor import backup_code

    web.logout()
    user = w.users[role]
    if user is None:
        return
    response = web.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:300]
    if role != "pending_two_factor" and (two_factor_required(user) or has_two_factor(user)):
        response = web.post("/accounts/two-factor/verify/", {"token": backup_code(user)})
        assert response.status_code == 302, response.content[:300]


def _kind_of(tag) -> str | None:
    if tag.name == "textarea":
        return "text"
    if tag.name == "select":
        return "choice"
    kind = (tag.get("type") or "text").lower()
    if kind in ("submit", "button", "image", "reset", "file"):
        return None
    if kind in ("checkbox", "radio"):
        return "choice"
    if kind in ("number", "range"):
        return "number"
    if kind == "date":
        return "date"
    if kind == "hidden":
        return "hidden"
    return "text"


def _forms_in(html: str, page_url: str) -> dict[str, dict[str, Field]]:
    """Each form (or htmx-posting element) on a page: its target path and its fields."""
    soup = BeautifulSoup(html, "html.parser")
    found: dict[str, dict[str, Field]] = {}
    for form in soup.find_all(lambda t: t.name == "form" or t.has_attr("hx-post")):
        # An autosaved editor posts to its data-autosave-url (static/js/editor.js).
        posts_to = form.get("hx-post") or form.get("data-autosave-url")
        target = posts_to or (form.get("action") if form.name == "form" else None) or page_url
        path = urlsplit(target).path or urlsplit(page_url).path
        if form.name == "form" and (form.get("method") or "get").lower() != "post" and not posts_to:
            path = f"GET {path}"  # a filter form: fuzzed through the query string
        fields = found.setdefault(path, {})
        container = form if form.name == "form" else (form.find_parent("form") or form)
        for tag in container.find_all(["input", "select", "textarea"]):
            name = tag.get("name")
            kind = _kind_of(tag)
            if not name or kind is None or name == "csrfmiddlewaretoken":
                continue
            current = fields.get(name)
            if tag.name == "select":
                options = [o.get("value", o.get_text()) for o in tag.find_all("option")]
                selected = [o.get("value", o.get_text()) for o in tag.find_all("option", selected=True)]
                value = (selected or [v for v in options if v] or [""])[0]
                fields[name] = Field(name, "choice", value, options, tag.has_attr("multiple"))
            elif kind == "choice":
                option = tag.get("value", "on")
                if current is None:
                    current = fields[name] = Field(name, "choice", "", [], tag.get("type") == "checkbox")
                current.options.append(option)
                if tag.has_attr("checked") or not current.value:
                    current.value = option
            else:
                value = tag.get_text() if tag.name == "textarea" else tag.get("value", "")
                fields[name] = Field(name, kind, value or VALID[kind])
    return found


def _baseline(fields: dict[str, Field]) -> dict[str, str]:
    return {f.name: f.value for f in fields.values()}


def _cases(fields: dict[str, Field]):
    """(label, data) pairs: one field malformed at a time, then the whole-form cases.

    Fields that differ only by a number (a review's `m1_i0` ... `m1_i8`) are one field here."""
    base = _baseline(fields)
    families = {}
    for f in fields.values():
        families.setdefault((re.sub(r"\d+", "N", f.name), f.kind), f)
    for f in families.values():
        for bad in MALFORMED[f.kind]:
            yield f"{f.name}={bad[:20]!r}", base | {f.name: bad}
    yield "every field missing", {}
    if base:
        yield "every field sent twice", {k: [v, "no-such-choice"] for k, v in base.items()}
        yield "overlong everywhere", dict.fromkeys(base, OVERLONG)


def _non_utf8_body(fields: dict[str, Field]) -> bytes:
    base = _baseline(fields) or {"x": ""}
    return urlencode(base).encode() + b"&" + b"&".join(f"{k}=".encode() + b"%FF%FE%C3" for k in base)


@dataclass
class Outcome:
    failures: list = field(default_factory=list)
    posts: int = 0
    reached: set = field(default_factory=set)
    unreached: set = field(default_factory=set)
    without_fields: set = field(default_factory=set)


def _check(outcome: Outcome, route: str, label: str, response) -> None:
    body = response.content.decode(errors="replace") if not response.streaming else ""
    if response.status_code >= 500 or "Traceback" in body:
        outcome.failures.append(f"{route} [{label}] -> {response.status_code}")


def test_no_html_form_endpoint_answers_malformed_input_with_a_server_error(client, world):
    web = client
    web.raise_request_exception = False
    routes = sorted({r.name for r in all_routes() if not r.name.startswith(NOT_HTML_FORMS)} - set(SKIPPED))
    missing = [name for name in routes if _samples(name, world) is None]
    assert missing == [], f"give these routes sample arguments in _samples(): {missing}"
    outcome = Outcome()
    samples = {name: _samples(name, world) for name in routes}
    by_role = sorted(routes, key=lambda n: (samples[n][0], n))
    # First read every page (and the plan page its sub-routes' forms sit on) as the person who
    # uses it, to learn every form by the path it posts to: the library page's forms post to
    # catalogue_add, the plan page's to details_save, comment_resolve and the lifecycle routes.
    forms: dict[str, dict[str, Field]] = {}
    savepoint = transaction.savepoint()
    signed_in_as = None
    for name in by_role:
        role, urls = samples[name]
        if role != signed_in_as:
            _sign_in(web, role, world)
            signed_in_as = role
        for page in {p for url in urls for p in (url, _plan_page_for(url, world)) if p}:
            got = web.get(page, headers=HX if "/items/" in page or "/add/" in page else {})
            _check(outcome, name, f"GET {page}", got)
            if got.status_code == 200 and not got.streaming and "html" in got.get("Content-Type", ""):
                for path, fields in _forms_in(got.content.decode(), page).items():
                    forms.setdefault(path, {}).update(fields)
        if name.startswith("accounts:"):
            signed_in_as = None  # password, two-factor and staff pages may have ended the session
    transaction.savepoint_rollback(savepoint)
    signed_in_as = None
    # Then post malformed input to every route, each in a savepoint rolled back afterwards.
    for name in by_role:
        role, urls = samples[name]
        if role != signed_in_as:
            _sign_in(web, role, world)
            signed_in_as = role
        savepoint = transaction.savepoint()
        try:
            for url in urls:
                fields = forms.get(urlsplit(url).path, {})
                if not fields:
                    outcome.without_fields.add(name)
                statuses = set()
                for label, data in _cases(fields):
                    response = web.post(url, data, headers=HX)
                    outcome.posts += 1
                    statuses.add(response.status_code)
                    _check(outcome, name, label, response)
                response = web.post(url, _non_utf8_body(fields), content_type="application/x-www-form-urlencoded")
                outcome.posts += 1
                _check(outcome, name, "not UTF-8", response)
                statuses.add(response.status_code)
                for label, data in _cases(forms.get(f"GET {urlsplit(url).path}", {})):
                    response = web.get(url, data)
                    outcome.posts += 1
                    _check(outcome, name, f"GET {label}", response)
                (outcome.unreached if statuses <= {403, 404} else outcome.reached).add(name)
        finally:
            transaction.savepoint_rollback(savepoint)
        if name.startswith("accounts:"):
            signed_in_as = None
    print(
        f"\n{len(routes)} routes, {outcome.posts} malformed requests, {len(outcome.without_fields)} without fields "
        f"({sorted(outcome.without_fields)}), unreached: {sorted(outcome.unreached)}"
    )
    assert outcome.failures == [], "\n".join(outcome.failures)
    # The walk did reach the views: nobody was turned away from a route meant for them.
    assert outcome.unreached == set(UNREACHED)
    # Forms were found and fuzzed field by field for the routes that have them.
    form_routes = {"clients:create", "clients:edit", "plans:create", "plans:details_save", "plans:item_edit"}
    form_routes |= {
        "formulation:section",
        "progress:measure_record",
        "progress:review_complete",
        "accounts:login",
    }
    form_routes |= {"plans:catalogue_add", "plans:comment_add", "accounts:staff_edit", "accounts:password_change"}
    form_routes |= {"accounts:staff_set_active"}
    assert form_routes.isdisjoint(outcome.without_fields)
    assert "GET /accounts/audit/" in forms, sorted(k for k in forms if k.startswith("GET"))


def _plan_page_for(url: str, w: World) -> str | None:
    """The plan page holds the forms that post to a plan's sub-routes (details, sections, comments)."""
    parts = urlsplit(url).path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "plans" and parts[1].isdigit():
        return f"/plans/{parts[1]}/"
    if parts[:2] == ["plans", "items"]:
        return f"/plans/{w.ids['draft']}/"
    return None


def test_the_fuzz_finds_the_fields_of_a_form():
    html = """<form method="post" action="/x/"><input name="a" type="number" value="3">
        <input type="date" name="d"><select name="s"><option value="">-</option><option value="2">two</option></select>
        <input type="checkbox" name="c" value="7"><input type="checkbox" name="c" value="8" checked>
        <textarea name="t">hello</textarea><button type="submit" name="go">Go</button></form>"""
    fields = _forms_in(html, "/page/")["/x/"]
    assert {n: (f.kind, f.value) for n, f in fields.items()} == {
        "a": ("number", "3"),
        "d": ("date", VALID["date"]),
        "s": ("choice", "2"),
        "c": ("choice", "8"),
        "t": ("text", "hello"),
    }
    assert dt.date.fromisoformat(VALID["date"])
