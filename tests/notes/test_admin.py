"""The Django admin shows sessions and notes but writes none of their clinical content."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from notes.models import (
    NoteAddendum,
    NoteSignature,
    ProgressNote,
    ServiceType,
    TherapySession,
)
from tests.factories import UserFactory

CLINICAL = [TherapySession, ProgressNote, NoteAddendum, NoteSignature]


@pytest.fixture
def superuser_request(db):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    return request


@pytest.mark.parametrize("model", CLINICAL, ids=lambda m: m.__name__)
def test_clinical_content_is_read_only_in_the_admin(model, superuser_request):
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(superuser_request)
    assert not model_admin.has_add_permission(superuser_request)
    assert not model_admin.has_change_permission(superuser_request)
    assert not model_admin.has_delete_permission(superuser_request)


def test_a_notes_parts_show_inline_and_cannot_be_added_or_changed(superuser_request):
    inlines = admin.site._registry[ProgressNote].get_inline_instances(superuser_request)
    assert len(inlines) == 5
    for inline in inlines:
        assert not inline.has_add_permission(superuser_request, None)
        assert not inline.has_change_permission(superuser_request)
        assert not inline.can_delete


def test_the_service_type_catalogue_is_managed_in_the_admin(superuser_request):
    assert admin.site._registry[ServiceType].has_add_permission(superuser_request)


def test_process_notes_are_not_in_the_admin_at_all(superuser_request):
    # A superuser is no reader of a clinician's private notes; the admin would make them one.
    from notes.models import ProcessNote, ProcessNoteShare

    assert ProcessNote not in admin.site._registry
    assert ProcessNoteShare not in admin.site._registry
    assert not [m for m in admin.site._registry if m._meta.label.startswith("notes.Process")]
