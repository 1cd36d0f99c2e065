import datetime as dt

import pytest

from participation import services
from participation.models import ClientLink

BIRTHDAY = dt.date(1985, 3, 14)


@pytest.fixture
def consenting_client(own_client, clinician):
    own_client.date_of_birth = BIRTHDAY
    own_client.email = "client.one@example.org"
    own_client.contact_consent_on = dt.date(2026, 1, 5)
    own_client.contact_consent_recorded_by = clinician
    own_client.save()
    return own_client


@pytest.fixture
def make_link(clinician):
    """A questionnaire link for a client; returns (link, path)."""

    def _make(client, *, codes=("phq9", "gad7"), delivery=ClientLink.Delivery.HAND, actor=None):
        return services.create_link(
            actor=actor or clinician,
            client=client,
            purpose=ClientLink.Purpose.QUESTIONNAIRES,
            delivery=delivery,
            measure_codes=list(codes),
        )

    return _make


@pytest.fixture
def web(client):
    """An anonymous browser (the client's phone)."""
    return client


def verify(web, path, birthday=BIRTHDAY):
    return web.post(path, {"date_of_birth": birthday.isoformat()})


def answers(code: str, values: list[int]) -> dict:
    return {f"{code}_{i}": str(v) for i, v in enumerate(values, start=1)}
