"""The shared accessibility check itself: it must catch what it is there to catch."""

import pytest

from tests.browser.conftest import EVERY_IMPACT, a11y_problems, check_a11y, sideways_overflow

BAD_PAGE = """<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>
<h1>Bad page</h1>
<p style="color:#bbb;background:#fff">Pale grey text on white.</p>
<form><input type="text" name="q"></form>
<button type="button"></button>
</main></body></html>"""

GOOD_PAGE = """<!doctype html><html lang="en"><head><title>Good</title></head><body><main>
<h1>Good page</h1><label for="q">Search</label><input id="q" type="text"></main></body></html>"""


def test_the_check_fails_on_serious_and_critical_violations_naming_rule_impact_target_and_help(page):
    page.set_content(BAD_PAGE)
    report = a11y_problems(page, "a bad page")
    for rule, impact in [("color-contrast", "serious"), ("label", "critical"), ("button-name", "critical")]:
        assert f"- {rule} ({impact})" in report
        assert "https://dequeuniversity.com/rules/axe/" in report
    # Each failing element is named by its selector, on a line of its own.
    assert "\n    input\n" in report and "\n    button\n" in report
    with pytest.raises(AssertionError, match="serious/critical violation"):
        check_a11y(page, "a bad page")


def test_the_check_passes_a_clean_page(page):
    page.set_content(GOOD_PAGE)
    check_a11y(page, "a good page")


def test_a_moderate_violation_alone_passes_the_house_rule_but_not_the_strict_check(page):
    # h1 then h3: axe's heading-order rule, of moderate impact.
    page.set_content(GOOD_PAGE.replace("</main>", "<h3>A level skipped</h3></main>"))
    check_a11y(page, "a page with a skipped heading level")
    with pytest.raises(AssertionError, match=r"- heading-order \(moderate\)"):
        check_a11y(page, "a page with a skipped heading level", impacts=EVERY_IMPACT)


def test_sideways_scrolling_is_caught_but_a_table_scrolling_in_its_own_container_is_not(page):
    page.set_viewport_size({"width": 390, "height": 844})
    wide = '<table style="width:900px"><tr><td>wide</td></tr></table>'
    page.set_content(f"<!doctype html><main>{wide}</main>")
    assert sideways_overflow(page)
    page.set_content(f'<!doctype html><main><div class="table-scroll" style="overflow-x:auto">{wide}</div></main>')
    assert sideways_overflow(page) == []
