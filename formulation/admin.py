from django.contrib import admin

from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation, Formulation


class NoDelete(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        # Clinical records are kept; items are marked removed, never deleted.
        return False


@admin.register(ConflictType)
class ConflictTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "practice", "assessable_as_conflict", "is_active"]
    list_filter = ["practice", "is_active"]


@admin.register(DefenseMechanism)
class DefenseMechanismAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "practice", "is_active"]
    list_filter = ["level", "practice"]


@admin.register(Formulation)
class FormulationAdmin(NoDelete):
    list_display = ["plan", "attachment_pattern", "updated_at"]


@admin.register(CoreConflict)
class CoreConflictAdmin(NoDelete):
    list_display = ["conflict_type", "formulation", "intensity", "mode", "removed_at"]


@admin.register(DefenseObservation)
class DefenseObservationAdmin(NoDelete):
    list_display = ["mechanism", "formulation", "removed_at"]
