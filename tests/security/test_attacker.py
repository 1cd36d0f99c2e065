"""An attacker with a valid low-privilege account gets nothing.

Every URL pattern is taken from the resolver, so routes added later are walked too. Each is
requested with GET and POST, with the ids of records the attacker must not see substituted
for its integer arguments, as (a) a clinician of another practice and (b) a clinician of the
same practice whose caseload does not include the records. A route that names a hidden record
must answer 302, 403, 404 or 405; no response, whatever the route, may contain a canary string
from the hidden records.
"""

import itertools
from dataclasses import dataclass

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.security.conftest import CANARIES

# Routes the walk does not request, and why.
SKIPPED = {
    # Signing out would end the attacker's session and turn every later answer into a 302.
    "accounts:logout": "ends the attacker's own session",
}
ALLOWED_FOR_HIDDEN_IDS = {302, 403, 404, 405}


def _built_in_template_ids() -> set[int]:
    from plans.models import PlanTemplate

    return set(PlanTemplate.objects.filter(practice__isnull=True).values_list("pk", flat=True))


# Routes naming a library entry that every practice reads when it is built in: route -> its ids.
READABLE_BY_EVERYONE = {"plans:template_preview": _built_in_template_ids}


@dataclass(frozen=True)
class Route:
    name: str
    kwargs: tuple[tuple[str, str], ...]  # (kwarg, converter name)


def _converter_name(converter) -> str:
    return type(converter).__name__.replace("Converter", "").lower()


def _walk(patterns, prefix: tuple[str, ...] = (), inherited: tuple = ()) -> list[Route]:
    routes = []
    for entry in patterns:
        pattern = entry.pattern
        converters = tuple((k, _converter_name(c)) for k, c in getattr(pattern, "converters", {}).items())
        groups = tuple(
            (k, "regex")
            for k in getattr(getattr(pattern, "regex", None), "groupindex", {})
            if k not in dict(converters)
        )
        args = inherited + converters + groups
        if isinstance(entry, URLResolver):
            routes += _walk(entry.url_patterns, prefix + ((entry.namespace,) if entry.namespace else ()), args)
        elif isinstance(entry, URLPattern) and entry.name:
            routes.append(Route(":".join(prefix + (entry.name,)), args))
    return routes


def all_routes() -> list[Route]:
    return sorted(set(_walk(get_resolver().url_patterns)), key=lambda r: r.name)


def _samples(route: Route, hidden, victim) -> tuple[list[dict], bool]:
    """Keyword arguments to try for a route, and whether they name hidden records."""
    from formulation.models import Formulation
    from formulation.views import ITEMS as FORMULATION_ITEMS
    from plans.editor.views import ITEMS as PLAN_ITEMS
    from plans.library.views import CATALOGUES

    ids = sorted(hidden.all_ids)
    if route.name in READABLE_BY_EVERYONE:
        # A hidden record's id may equal a built-in library entry's, which every practice reads.
        ids = [i for i in ids if i not in READABLE_BY_EVERYONE[route.name]()]
    if route.name.startswith("admin:"):
        ids = ids[:1]  # non-superusers are sent to the admin sign-in before any lookup
    slugs = {
        "kind": sorted(set(PLAN_ITEMS) | set(FORMULATION_ITEMS) | set(CATALOGUES)),
        "section": sorted(Formulation.SECTIONS),
        "direction": ["up", "down"],
        "uidb64": [urlsafe_base64_encode(force_bytes(victim.pk))],
        "token": ["set-password", "bogus-token"],
        "app_label": ["clients"],
    }
    choices = []
    names_hidden = False
    for kwarg, converter in route.kwargs:
        if converter == "int" or kwarg.endswith(("pk", "_id")) or kwarg == "object_id":
            choices.append([(kwarg, str(i)) for i in ids])
            names_hidden = True
        else:
            choices.append([(kwarg, v) for v in slugs.get(kwarg, ["x"])])
    return [dict(combo) for combo in itertools.product(*choices)], names_hidden


def _body(response) -> str:
    """What a response shows: its text, its redirect target, and a PDF's extracted text (its
    streams are compressed, so a canary would not show in the raw bytes)."""
    body = response.content.decode(errors="replace") + response.get("Location", "")
    if response.status_code == 200 and response.get("Content-Type") == "application/pdf":
        import io

        from pypdf import PdfReader

        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
        body += " ".join(text.split())  # lines wrapped in a table cell read as one
    return body


@pytest.fixture
def other_admin(other_practice):
    """An admin of another practice: her admin pages (staff, library, template review) must not reach ours."""
    from tests.factories import staff

    # Her own membership gets an id far from the hidden records' ids, so that the walk's
    # /accounts/staff/<id>/ probes never open her own (legitimately visible) staff page.
    return staff(other_practice, is_practice_admin=True, id=90_001)


@pytest.mark.parametrize("attacker_role", ["outsider", "colleague", "other_admin"])
def test_an_attacker_walking_every_route_with_hidden_ids_gets_no_data(
    attacker_role, request, canary_records, clinician, login
):
    attacker = request.getfixturevalue(attacker_role)
    web = login(attacker)
    routes = all_routes()
    leaks, probed, unreversible, statuses = [], 0, [], {}
    exercised = set()
    for route in routes:
        if route.name in SKIPPED:
            continue
        samples, names_hidden = _samples(route, canary_records, clinician)
        for kwargs in samples:
            try:
                url = reverse(route.name, kwargs=kwargs)
            except NoReverseMatch:
                unreversible.append(route.name)
                continue
            exercised.add(route.name)
            for method in ("get", "post"):
                response = getattr(web, method)(url)
                probed += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                body = _body(response)
                found = [c for c in CANARIES.values() if c.lower() in body.lower()]
                if found:
                    leaks.append(f"{method.upper()} {url} ({route.name}) -> {response.status_code}: {found}")
                elif names_hidden and response.status_code not in ALLOWED_FOR_HIDDEN_IDS:
                    leaks.append(f"{method.upper()} {url} ({route.name}) -> {response.status_code}")
    print(
        f"\n{attacker_role}: {len(exercised)} routes of {len(routes)} ({len(SKIPPED)} skipped), "
        f"{len(canary_records.all_ids)} hidden ids, {probed} requests, statuses {dict(sorted(statuses.items()))}, "
        f"{len(leaks)} leaks"
    )
    assert leaks == []
    assert web.get("/").status_code == 200, "the attacker stayed signed in for the whole walk"
    assert statuses.get(404, 0) > 0
    clinical = {r.name for r in routes if r.name.split(":")[0] in ("clients", "formulation", "plans", "notes")}
    assert clinical <= exercised, f"clinical routes not walked: {sorted(clinical - exercised)}"


@pytest.mark.parametrize("attacker_role", ["outsider", "colleague", "other_admin", "admin"])
def test_no_attacker_gets_the_supervision_copy_and_each_refusal_is_audited_with_its_audience(
    attacker_role, request, canary_records, login
):
    """The practice's own admin reads the plan and its record PDF, but its supervision copy is a 403;
    everyone else does not see the plan at all (404). Through the API, the same."""
    from rest_framework.test import APIClient

    from audit.models import AccessLog

    attacker = request.getfixturevalue(attacker_role)
    web, api = login(attacker), APIClient()
    api.force_authenticate(attacker)
    expected = 403 if attacker_role == "admin" else 404
    for plan in canary_records.plans:
        for client, url, view in [
            (web, f"/plans/{plan.pk}/pdf/?audience=supervision", "records:pdf"),
            (api, f"/api/v1/plans/{plan.pk}/pdf/?audience=supervision", "api:plan-pdf"),
        ]:
            response = client.get(url)
            assert response.status_code == expected, url
            assert not [c for c in CANARIES.values() if c.lower() in _body(response).lower()], url
            entry = AccessLog.objects.filter(actor=attacker).order_by("-pk").first()
            assert (entry.outcome, entry.detail) == ("denied", f"{view} {expected} audience=supervision")


def test_the_practice_admin_reading_every_route_never_sees_the_countertransference(
    canary_records, admin, clinician, login
):
    """The admin reads every record of the practice, so the walk over every route (GET, with the
    records' ids, the PDF's every audience) finds the other canaries; never the countertransference
    nor a private process note."""
    web = login(admin)
    private = CANARIES["countertransference"].lower()
    seen, leaks, probed = set(), [], 0
    for route in all_routes():
        if route.name in SKIPPED:
            continue
        samples, _ = _samples(route, canary_records, clinician)
        for kwargs in samples:
            try:
                url = reverse(route.name, kwargs=kwargs)
            except NoReverseMatch:
                continue
            queries = ["", "?audience=client", "?audience=supervision"] if route.name.endswith("pdf") else [""]
            for query in queries:
                response = web.get(url + query)
                probed += 1
                body = _body(response).lower()
                seen |= {name for name, c in CANARIES.items() if c.lower() in body}
                if private in body or CANARIES["process_note"].lower() in body:
                    leaks.append(f"GET {url}{query} ({route.name}) -> {response.status_code}")
    print(f"\nadmin: {probed} requests, canaries seen {sorted(seen)}")
    assert leaks == []
    assert {"given_name", "narrative", "goal", "session_note"} <= seen, "the admin's walk reached the records"


def test_the_walk_sees_every_named_route_of_the_resolver():
    names = {r.name for r in all_routes()}
    assert {"clients:detail", "plans:detail", "plans:item_edit", "audit:log", "healthz"} <= names
    assert "api:client-search" in names
    assert {"api:client-link-list", "api:client-link-detail", "api:client-link-revoke"} <= names
    assert {"plans:template_preview", "plans:technique_about", "plans:technique_describe"} <= names


@pytest.mark.parametrize("attacker_role", ["outsider", "other_admin"])
def test_another_practices_library_entries_are_not_found_nor_described_nor_previewed(
    attacker_role, request, admin, own_client, login
):
    """The walk above probes the hidden client's records; the library is practice-wide, so its own
    entries are probed here: a template and a technique of Home's, with canary text."""
    from plans.library import services as library_services
    from plans.models import InterventionTechnique
    from tests.factories import make_plan

    canary = "canary-library-4471 our own way"
    technique = library_services.add_catalogue_entry(
        actor=admin, model=InterventionTechnique, name="Home technique", kind="psychodynamic"
    )
    library_services.describe_technique(actor=admin, technique=technique, what_it_is=canary, when_it_fits=canary)
    plan = make_plan(own_client)
    template = library_services.publish_plan_as_template(
        actor=admin,
        plan=plan,
        reviewed_fingerprint=library_services.template_source_fingerprint(plan),
        name=canary,
        goals=[library_services.GoalText(statement=canary)],
        confirmed=True,
    )
    web = login(request.getfixturevalue(attacker_role))
    answers = [
        web.get(f"/plans/library/templates/{template.pk}/preview/"),
        web.get(f"/plans/library/techniques/{technique.pk}/describe/"),
        web.post(f"/plans/library/techniques/{technique.pk}/describe/", {"description": "Taken.", "when_it_fits": ""}),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    about = web.get(
        "/plans/library/techniques/about/", {"prefix": "intervention-new", "intervention-new-technique": technique.pk}
    )
    library = web.get("/plans/library/")
    for response in [*answers, about, library]:
        assert canary not in _body(response)
    technique.refresh_from_db()
    assert technique.description == canary


def test_the_owner_does_see_the_canaries_so_the_walk_would_notice_a_leak(canary_records, clinician, login):
    web = login(clinician)
    body = web.get(f"/clients/{canary_records.client.pk}/").content.decode()
    assert CANARIES["given_name"] in body
    plan_page = web.get(f"/plans/{canary_records.plans[0].pk}/").content.decode()
    assert CANARIES["narrative"] in plan_page and CANARIES["goal"] in plan_page
    assert CANARIES["countertransference"] in plan_page
    session = web.get(f"/clients/sessions/{min(canary_records.ids['session'])}/").content.decode()
    assert CANARIES["session_note"] in session
    private = web.get(f"/clients/process-notes/{min(canary_records.ids['process_note'])}/").content.decode()
    assert CANARIES["process_note"] in private
    copy = web.get(f"/plans/{canary_records.plans[0].pk}/pdf/?audience=supervision")
    assert CANARIES["countertransference"] in _body(copy)
    alert = web.get(f"/clients/alerts/{min(canary_records.ids['client_alert'])}/").content.decode()
    assert CANARIES["family_name"] in alert


def test_a_template_shared_from_a_hidden_plan_shows_the_attacker_no_client_text_and_no_plan(
    canary_records, admin, colleague, login
):
    """The admin shares a hidden client's plan as a template, rewording the goal as the review asks:
    the colleague reads the template in the library, but nothing of the client, nor which plan it was."""
    from plans.library import services as library_services

    plan = canary_records.plans[0]
    web = login(admin)
    form = web.get(f"/plans/{plan.pk}/save-as-template/").context["form"]
    assert CANARIES["goal"] in [form[name].value() for name in form.fields], "the review shows the client's text"
    library_services.publish_plan_as_template(
        actor=admin,
        plan=plan,
        reviewed_fingerprint=library_services.template_source_fingerprint(plan),
        name="Shared from a hidden plan",
        goals=[
            library_services.GoalText(
                statement="Reviewed goal", objectives=(library_services.ObjectiveText("Reviewed"),)
            )
        ],
        confirmed=True,
    )
    page = login(colleague).get("/plans/library/").content.decode()
    assert "Shared from a hidden plan" in page and "Reviewed goal" in page
    assert not [c for c in CANARIES.values() if c.lower() in page.lower()]
    assert f"/plans/{plan.pk}/" not in page and plan.client.chart_number not in page


@pytest.mark.parametrize("attacker_role", ["outsider", "colleague"])
def test_an_attacker_searching_for_the_hidden_client_by_name_or_chart_number_finds_nothing(
    attacker_role, request, canary_records, login
):
    from rest_framework.test import APIClient

    attacker = request.getfixturevalue(attacker_role)
    api = APIClient()
    api.force_authenticate(attacker)
    web = login(attacker)
    hidden = canary_records.client
    terms = [hidden.chart_number, CANARIES["given_name"], CANARIES["family_name"], CANARIES["preferred_name"][:8]]
    for term in terms:
        response = api.post(reverse("api:client-search"), {"q": term}, format="json")
        assert response.status_code == 200
        assert response.json()["count"] == 0, term
        page = web.post(reverse("clients:list"), {"q": term})
        assert page.status_code == 200
        # The page echoes the term typed into the search box; nothing else of the client may show.
        body = page.content.decode().lower().replace(term.lower(), "")
        others = [hidden.chart_number, *CANARIES.values()]
        assert not [c for c in others if not c.lower().startswith(term.lower()) and c.lower() in body], term


SIGNING_ROUTES = ["plans:submit", "plans:approve", "notes:note_sign", "notes:note_addendum"]


@pytest.mark.parametrize("attacker_role", ["outsider", "colleague"])
def test_an_attacker_with_their_own_right_password_signs_nothing_through_the_signing_steps(
    attacker_role, request, canary_records, clinician, login
):
    """The signing steps ask the door before the password: a right password opens no hidden record."""
    from notes.models import NoteSignature
    from plans.models import Signature
    from tests.factories import PASSWORD

    attacker = request.getfixturevalue(attacker_role)
    web = login(attacker)
    before = (Signature.objects.count(), NoteSignature.objects.count())
    answers = []
    for name in SIGNING_ROUTES:
        kwarg = "pk" if name.startswith("plans:") else "session_pk"
        for hidden_id in sorted(canary_records.all_ids):
            url = reverse(name, kwargs={kwarg: hidden_id})
            for method, data in (("get", None), ("post", {"password": PASSWORD, "text": "x", "content_hash": "0"})):
                response = getattr(web, method)(url, data)
                answers.append(response.status_code)
                assert response.status_code in ALLOWED_FOR_HIDDEN_IDS, f"{method} {url} -> {response.status_code}"
                assert not [c for c in CANARIES.values() if c.lower() in _body(response).lower()]
    assert (Signature.objects.count(), NoteSignature.objects.count()) == before
    assert 404 in answers
