"""Malformed input to the client pages is a clear answer, never a server error."""

import pytest

from tests.factories import ClientFactory


@pytest.mark.parametrize("length", [151, 60_000])
def test_an_overlong_search_term_finds_nobody_instead_of_failing(clinician, login, length):
    ClientFactory(primary_clinician=clinician, given_name="Avery")
    web = login(clinician)
    web.raise_request_exception = False
    response = web.post("/clients/", {"q": "A" * length}, headers={"HX-Request": "true"})
    # SQLite refuses a LIKE pattern over 50 000 bytes; that error used to be answered as an outage (503).
    assert response.status_code == 200
    assert "Avery" not in response.content.decode()
    assert "Avery" in web.post("/clients/", {"q": "Ave"}, headers={"HX-Request": "true"}).content.decode()


def test_a_nul_character_in_the_search_is_a_400_not_a_database_error(clinician, login):
    web = login(clinician)
    web.raise_request_exception = False
    response = web.post("/clients/", {"q": "Av\x00ery"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "The field q contains a NUL character" in response.content.decode()
