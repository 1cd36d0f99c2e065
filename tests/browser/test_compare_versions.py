"""The compare page in a browser: labels, links added and removed, changed words marked, and a
table that fits a phone without scrolling sideways."""

import pytest
from playwright.sync_api import expect

from plans.editor import services
from plans.lifecycle import transitions
from plans.models import Intervention, Objective
from tests.browser.conftest import check_a11y
from tests.factories import ClientFactory, make_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_amendment_reads_in_labels_and_marked_words_on_a_desk_and_a_phone(page, sign_in, clinician):
    signed = transitions.submit_plan(
        actor=clinician, plan=make_plan(ClientFactory(primary_clinician=clinician), goals=2)
    )
    amended = transitions.amend_plan(actor=clinician, plan=signed)
    objective = Objective.objects.filter(goal__plan=amended).order_by("goal__order", "order").first()
    services.update_item(
        actor=clinician,
        item=objective,
        expected_version=objective.version,
        values={
            "status": Objective.Status.IN_PROGRESS,
            "target": objective.target + " <script>alert(1)</script> in sessions",
            "presenting_problems": list(objective.presenting_problems.all()),
        },
    )
    second = Objective.objects.filter(goal__plan=amended).exclude(pk=objective.pk).first()
    services.remove_item(actor=clinician, item=second)
    assert Intervention.objects.filter(plan=amended).exists()
    sign_in(page, clinician)
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/plans/{amended.pk}/compare/")
        status = page.locator("tr", has=page.locator("th", has_text="Status"))
        expect(status.locator("td.old")).to_have_text("Not started")
        expect(status.locator("td.new")).to_have_text("In progress")
        expect(page.locator("td.new ins").first).to_contain_text("<script>alert(1)</script>")
        expect(page.locator(".cmp-links del").first).to_contain_text(f"Removed: {second.statement}")
        # The table fits: its last column's right edge lies inside its scrolling region.
        fits = page.evaluate(
            "() => [...document.querySelectorAll('.table-scroll')].every(r => r.scrollWidth <= r.clientWidth + 1)"
        )
        assert fits, f"a compare table scrolls sideways at {width} px"
        check_a11y(page, f"the compare page at {width} px")
