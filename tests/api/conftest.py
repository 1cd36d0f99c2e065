import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """An API client signed in as the given user (or anonymous with None)."""

    def _api(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return _api


def validate_bundle(bundle: dict):
    """Parse a bundle with fhir.resources' R4 (4.0.1) models; raises on anything invalid."""
    import fhir.resources
    from fhir.resources.bundle import Bundle

    assert fhir.resources.__fhir_version__ == "4.0.1"
    return Bundle.parse_obj(bundle)
