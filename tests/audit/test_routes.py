"""Every URL namespace is audited unless the route table says why not (audit/routes.py).

A successful GET in a namespace is a read of the record its route names; the short list of
non-clinical namespaces is the only way out, and each entry carries its reason. So a new app's
routes are recorded from its first request, without an edit to audit.
"""

from django.test import override_settings
from django.urls import ResolverMatch, URLResolver, get_resolver

from audit.models import AccessLog
from audit.routes import NON_CLINICAL_NAMESPACES, PK_TYPES, is_clinical_namespace, route_subject


def _routes(resolver=None, namespace="", kwargs=frozenset()):
    """(outermost namespace, view name, kwarg names) of every route: the namespace the middleware asks about."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        names = kwargs | set(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, namespace or pattern.namespace or "", names)
        else:
            yield namespace, f"{namespace}:{pattern.name}" if namespace else pattern.name, names


def _names_a_record(namespace: str, view_name: str | None, kwargs: set[str]) -> bool:
    if not view_name:
        return False
    _, _, url_name = view_name.rpartition(":")
    match = ResolverMatch(
        lambda request: None,
        (),
        dict.fromkeys(kwargs, "1"),
        url_name=url_name,
        app_names=[namespace] if namespace else [],
        namespaces=[namespace] if namespace else [],
    )
    kind, _ = route_subject(match) or ("", "")
    return bool(kind)


def test_every_url_namespace_is_audited_or_on_the_non_clinical_list_with_its_reason():
    namespaces = {namespace for namespace, _, _ in _routes()}
    unexplained = [ns for ns in namespaces if not is_clinical_namespace(ns) and len(NON_CLINICAL_NAMESPACES[ns]) < 20]
    assert not unexplained, f"say in audit.routes.NON_CLINICAL_NAMESPACES why these are not audited: {unexplained}"
    # An audited namespace must have routes that name a record, or its reads could never be recorded.
    hollow = [
        ns
        for ns in namespaces
        if is_clinical_namespace(ns) and not any(_names_a_record(*route) for route in _routes() if route[0] == ns)
    ]
    assert not hollow, f"audited, but no route names a record (name its kwargs, or list it with why): {hollow}"
    assert {"clients", "plans", "api"} <= {ns for ns in namespaces if is_clinical_namespace(ns)}


def test_the_non_clinical_list_names_only_namespaces_that_exist():
    namespaces = {namespace for namespace, _, _ in _routes()}
    assert NON_CLINICAL_NAMESPACES.keys() <= namespaces, sorted(NON_CLINICAL_NAMESPACES.keys() - namespaces)


@override_settings(ROOT_URLCONF="tests.audit.new_app_urls")
def test_a_successful_get_in_a_namespace_no_list_names_is_recorded_as_a_read(clinician, own_client, login):
    assert "notes" not in NON_CLINICAL_NAMESPACES and "notes" not in PK_TYPES
    web = login(clinician)
    before = AccessLog.objects.count()
    assert web.get(f"/notes/{own_client.pk}/").status_code == 200
    entry = AccessLog.objects.order_by("-pk").first()
    assert AccessLog.objects.count() == before + 1
    assert (entry.action, entry.outcome, entry.detail) == ("read", "ok", "notes:detail")
    assert (entry.object_type, entry.object_id, entry.client_id) == ("client", str(own_client.pk), own_client.pk)
    assert entry.actor == clinician


def test_a_successful_get_in_a_non_clinical_namespace_is_no_read(clinician, login):
    web = login(clinician)
    before = AccessLog.objects.filter(action="read").count()
    assert web.get("/accounts/two-factor/").status_code == 200
    assert AccessLog.objects.filter(action="read").count() == before
