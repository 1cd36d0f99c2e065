from django.contrib import admin

from plans.models import (
    Goal,
    GoalTemplate,
    Intervention,
    InterventionTechnique,
    Objective,
    ObjectiveTemplate,
    PlanTemplate,
    TreatmentPlan,
)


class NoDelete(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None):
        # Clinical records are kept; items are marked removed, never deleted.
        return False


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(NoDelete):
    list_display = ["__str__", "client", "author", "status", "version_number", "start_date", "next_review_date"]
    list_filter = ["status"]


@admin.register(Goal)
class GoalAdmin(NoDelete):
    list_display = ["statement", "plan", "order", "removed_at"]


@admin.register(Objective)
class ObjectiveAdmin(NoDelete):
    list_display = ["statement", "goal", "target_date", "status", "removed_at"]


@admin.register(Intervention)
class InterventionAdmin(NoDelete):
    list_display = ["technique", "plan", "frequency", "removed_at"]


@admin.register(InterventionTechnique)
class InterventionTechniqueAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "practice", "is_active"]


class ObjectiveTemplateInline(admin.TabularInline):
    model = ObjectiveTemplate
    extra = 0


@admin.register(GoalTemplate)
class GoalTemplateAdmin(admin.ModelAdmin):
    list_display = ["statement", "template", "order"]
    inlines = [ObjectiveTemplateInline]


class GoalTemplateInline(admin.TabularInline):
    model = GoalTemplate
    extra = 0


@admin.register(PlanTemplate)
class PlanTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "practice", "is_active"]
    inlines = [GoalTemplateInline]
