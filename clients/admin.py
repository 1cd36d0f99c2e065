from django.contrib import admin

from clients.models import Client, PresentingProblem


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["chart_number", "family_name", "given_name", "practice", "primary_clinician", "status"]
    list_filter = ["practice", "status"]
    search_fields = ["chart_number", "family_name"]

    def has_delete_permission(self, request, obj=None):
        # Clinical records are archived, never deleted.
        return False


@admin.register(PresentingProblem)
class PresentingProblemAdmin(admin.ModelAdmin):
    list_display = ["title", "client", "severity", "diagnosis_code"]

    def has_delete_permission(self, request, obj=None):
        return False
