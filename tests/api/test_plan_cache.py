from plans.lifecycle import transitions
from tests.factories import make_plan


def test_a_final_plans_detail_is_served_the_same_from_the_cache_and_bad_ids_are_404(own_client, clinician, client):
    plan = transitions.submit_plan(actor=clinician, plan=make_plan(own_client))
    client.force_login(clinician)
    first = client.get(f"/api/v1/plans/{plan.pk}/")
    second = client.get(f"/api/v1/plans/{plan.pk}/")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and first["ETag"] == second["ETag"]
    assert client.get("/api/v1/plans/%C3%A9%F0%9F%8E%99/").status_code == 404
    assert client.get("/api/v1/plans/99999999/").status_code == 404
