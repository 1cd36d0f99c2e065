"""A fragment rendered by one release's templates is never served by another's: the keys carry a
digest of the templates (core/fragments.py), so a deploy that changes a template, with the cache
shared across it, renders that fragment afresh."""

from core import fragments


def test_the_templates_digest_changes_with_any_templates_content_or_name_and_only_then(tmp_path):
    (tmp_path / "plans").mkdir()
    page = tmp_path / "plans" / "_goal.html"
    page.write_text("<article>{{ goal }}</article>")
    first = fragments.templates_digest([tmp_path])
    assert fragments.templates_digest([tmp_path]) == first
    page.write_text("<article class='goal'>{{ goal }}</article>")
    changed = fragments.templates_digest([tmp_path])
    assert changed != first
    page.rename(tmp_path / "plans" / "_objective.html")
    assert fragments.templates_digest([tmp_path]) not in (first, changed)


def test_a_fragments_key_holds_this_releases_templates_digest():
    key = fragments.key("goal", 1, 2)
    assert key.startswith(f"{fragments.PREFIX}{fragments._release()}:goal:")  # noqa: SLF001
    assert key == fragments.key("goal", 1, 2) != fragments.key("goal", 1, 3)
