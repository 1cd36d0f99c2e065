"""The page-parts registry: apps higher up add sections to lower apps' pages without being imported."""

from clients import page_parts as client_pages
from core import page_parts
from plans import page_parts as plan_pages


def test_a_page_loads_each_registered_part_once_under_its_key_in_registration_order():
    page_parts.register("test_page", key="a", template="a.html", load=lambda **kw: kw["n"] + 1)
    page_parts.register("test_page", key="b", template="b.html", load=lambda **kw: kw["n"] * 10)
    page_parts.register("test_page", key="a", template="a.html", load=lambda **kw: kw["n"] + 1)
    context = page_parts.fill("test_page", n=2)
    assert (context["a"], context["b"]) == (3, 20)
    assert [p.key for p in context["page_parts"]] == ["a", "b"]
    page_parts._parts.pop("test_page")  # a page of this test only


def test_a_page_nobody_added_to_has_no_parts():
    assert page_parts.fill("nobody_adds_here") == {"page_parts": []}


def test_the_client_and_plan_pages_share_the_one_registry_and_keep_their_parts():
    assert plan_pages.register is client_pages.register is page_parts.register
    assert [p.key for p in page_parts.parts_of(client_pages.CLIENT_DETAIL)] == ["sessions", "client_links"]
    plan_keys = [p.key for p in page_parts.parts_of(plan_pages.PLAN_DETAIL)]
    assert {"progress", "last_sessions"} <= set(plan_keys)
    assert [p.key for p in page_parts.parts_of(plan_pages.SIGN_OFF_QUEUE)] == ["overdue"]
