from django.contrib import admin

from notes.models import (
    NoteAddendum,
    NoteConflict,
    NoteDefense,
    NoteIntervention,
    NoteObjective,
    NoteSignature,
    ProgressNote,
    RelationshipEpisode,
    ServiceType,
    TherapySession,
)

# ProcessNote and ProcessNoteShare are not registered, on purpose: a superuser browsing the admin
# would read the author's private process notes, which no role may read (notes.models.ProcessNote).


class ReadOnly(admin.ModelAdmin):
    """Clinical content is written through notes.services, which checks who acts, keeps versions
    and signs; the Django admin only shows it."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "practice", "is_active"]
    list_filter = ["practice", "is_active"]


@admin.register(TherapySession)
class TherapySessionAdmin(ReadOnly):
    list_display = ["client", "starts_at", "service_type", "modality", "attendance", "clinician"]
    list_filter = ["attendance", "modality"]


class NoteObjectiveInline(ReadOnlyInline):
    model = NoteObjective


class NoteInterventionInline(ReadOnlyInline):
    model = NoteIntervention


class NoteConflictInline(ReadOnlyInline):
    model = NoteConflict


class NoteDefenseInline(ReadOnlyInline):
    model = NoteDefense


class RelationshipEpisodeInline(ReadOnlyInline):
    model = RelationshipEpisode


@admin.register(ProgressNote)
class ProgressNoteAdmin(ReadOnly):
    list_display = ["session", "author", "status", "risk", "signed_at"]
    list_filter = ["status", "risk"]
    inlines = [
        NoteObjectiveInline,
        NoteInterventionInline,
        NoteConflictInline,
        NoteDefenseInline,
        RelationshipEpisodeInline,
    ]


@admin.register(NoteAddendum)
class NoteAddendumAdmin(ReadOnly):
    list_display = ["note", "author", "written_at"]


@admin.register(NoteSignature)
class NoteSignatureAdmin(ReadOnly):
    list_display = ["note", "addendum", "meaning", "printed_name", "signed_at"]
