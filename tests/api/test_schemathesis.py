"""Schemathesis over every operation of /api/schema/, in-process against the WSGI app.

Signed in as the demo clinician (a real token), on the demo data. For each operation it
sends a bounded number of generated requests, schema-valid and schema-invalid, about half
of them aimed at the clinician's real records (with `If-Match: *` so writes can succeed),
and checks: no server error, and the status code, content type, headers and body all as
the schema documents. Deterministic (derandomized), no network, no shrinking, so its
runtime stays bounded (about a minute on two cores).

Deselect locally with `-m "not schemathesis"`; `make test` runs it.
"""

import collections

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 30, GenerationMode.NEGATIVE: 10}
# Rendering a PDF takes a few hundred milliseconds: fewer of those.
SLOW = {"/api/v1/plans/{id}/pdf/": 6}


def _real_ids(user) -> dict[str, list[int]]:
    from clients.models import Client, PresentingProblem
    from formulation.models import Formulation
    from notes.models import ProcessNote, TherapySession
    from plans.models import Goal, Intervention, Objective, TreatmentPlan
    from progress.models import MeasureScore, ProgressReview

    models = {
        "clients": Client,
        "presenting-problems": PresentingProblem,
        "plans": TreatmentPlan,
        "formulations": Formulation,
        "goals": Goal,
        "objectives": Objective,
        "interventions": Intervention,
        "progress-reviews": ProgressReview,
        "measures": MeasureScore,
        "sessions": TherapySession,
        "process-notes": ProcessNote,
    }
    return {name: list(model.objects.visible_to(user).values_list("pk", flat=True)) for name, model in models.items()}


def test_every_operation_conforms_to_the_schema_without_server_errors(settings):
    from config.wsgi import application

    # seed_demo refuses to run with DEBUG off (it writes known passwords); the API runs with it off.
    settings.DEBUG = True
    call_command("seed_demo")
    settings.DEBUG = False
    clinician = User.objects.get(email="clinician@demo.test")
    token = AuthToken.objects.create(clinician)[1]
    auth = {"Authorization": f"Token {token}"}
    ids = _real_ids(clinician)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

    failures: list[str] = []
    statuses: collections.Counter = collections.Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, count in EXAMPLES.items():
            try:
                _exercise(operation, mode, min(count, SLOW.get(operation.path, count)), clinician, auth, ids, statuses)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - all failures are reported together
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}")

    print(f"schemathesis: {operations} operations, {sum(statuses.values())} requests, statuses {dict(statuses)}")
    assert operations >= 40
    assert statuses[500] == 0
    assert not failures, "\n\n".join(failures)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: a request must not close the connection the test's transaction is on."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _exercise(operation, mode, examples, clinician, auth, ids, statuses):
    resource = operation.path.split("/")[3]
    revokes = operation.path.startswith("/api/v1/auth/") and operation.method.upper() == "DELETE"

    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), aim=st.booleans(), pick=st.integers(0, 10_000))
    def run(case, aim, pick):
        headers = dict(auth)
        if revokes:
            # Revoking (one or all): a throwaway token of another person, so the run keeps its own.
            other = User.objects.get(email="supervisor@demo.test")
            headers["Authorization"] = f"Token {AuthToken.objects.create(other)[1]}"
        if aim and case.path_parameters and "id" in case.path_parameters and ids.get(resource):
            case.path_parameters["id"] = ids[resource][pick % len(ids[resource])]
            if case.headers and "If-Match" in case.headers:
                case.headers["If-Match"] = "*"
        # The schema's security schemes make Schemathesis generate credentials of its own: use ours.
        case.headers = {**(case.headers or {}), **headers}
        case.cookies = {}
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()
