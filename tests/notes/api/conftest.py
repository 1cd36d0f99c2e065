import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """An API client signed in as the given user."""

    def _api(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _api
