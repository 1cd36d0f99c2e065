"""The API: the nested plan detail and a list of 50 clients, against a bare DRF view returning
static JSON through the same stack, in the same process. The plan detail is read warm (its final
version's serialized tree cached) and cold: the first read of a version, the cache cleared before
each sample, so the tree is fetched, serialized and hashed afresh."""

import time

from django.core.cache import cache
from django.test import Client, override_settings

from bench import data
from bench.report import Table, p50, p95, timed


def run(table: Table) -> None:
    from bench.web_bench import _plan_with_reviews

    _, clinician, _ = data.practice_with_staff()
    large = _plan_with_reviews(clinician, 800, goals=10, objectives=5, interventions=3)
    for index in range(50):
        data.plan(clinician, 700 + index, goals=1, objectives=1, interventions=1, sign=False)
    with override_settings(ROOT_URLCONF="bench.urls", ALLOWED_HOSTS=["*"]):
        api = Client()
        api.force_login(clinician)
        urls = {
            "floor": "/bench/bare-api/",
            "plan": f"/api/v1/plans/{large.pk}/",
            "clients": "/api/v1/clients/?page_size=50",
        }
        for url in urls.values():
            for _ in range(5):
                response = api.get(url, HTTP_ACCEPT="application/json")
                assert response.status_code == 200, (url, response.status_code)
        floor = timed(lambda: api.get(urls["floor"], HTTP_ACCEPT="application/json"), 200)
        plan = timed(lambda: api.get(urls["plan"], HTTP_ACCEPT="application/json"), 200)
        cold = []
        for _ in range(60):
            # The per-version serialization lives in the cache (plans/api/views.py); the session
            # does not (database sessions), so clearing it signs no one out.
            cache.clear()
            start = time.perf_counter()
            response = api.get(urls["plan"], HTTP_ACCEPT="application/json")
            cold.append(time.perf_counter() - start)
            assert response.status_code == 200
        clients = timed(lambda: api.get(urls["clients"], HTTP_ACCEPT="application/json"), 200)
    table.add(
        "API plan detail 10×5×3 vs bare DRF view (p50)",
        p50(plan) / p50(floor),
        "≤ 5×",
        f"p50 {p50(plan) * 1000:.1f} ms, p95 {p95(plan) * 1000:.1f} ms; floor p50 {p50(floor) * 1000:.2f} ms",
    )
    table.add(
        "API plan detail cold read (first read of a version) vs bare DRF view",
        p50(cold) / p50(floor),
        "≤ 5×",
        f"p50 {p50(cold) * 1000:.1f} ms, p95 {p95(cold) * 1000:.1f} ms",
    )
    table.add(
        "API client list of 50 vs bare DRF view (p50)",
        p50(clients) / p50(floor),
        "≤ 5×",
        f"p50 {p50(clients) * 1000:.1f} ms, p95 {p95(clients) * 1000:.1f} ms",
    )
