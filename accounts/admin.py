from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import AccessLog, ChangeRecord, Membership, Practice, Supervision, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "given_name", "family_name", "is_active", "is_superuser"]
    search_fields = ["email", "given_name", "family_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["given_name", "family_name", "credentials"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "given_name", "family_name", "password1", "password2"]})
    ]


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "paper_size"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "practice", "is_clinician", "is_supervisor", "is_practice_admin", "requires_cosignature"]
    list_filter = ["practice"]


@admin.register(Supervision)
class SupervisionAdmin(admin.ModelAdmin):
    list_display = ["supervisor", "supervisee", "practice", "started_on", "ended_on"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit trail is append-only: superusers may read it here, never change it."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_email", "action", "outcome", "object_type", "object_id", "client_id", "ip"]
    list_filter = ["action", "outcome"]
    search_fields = ["actor_email", "object_id"]


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    list_display = ["at", "table", "row_id", "operation", "actor"]
    list_filter = ["table", "operation"]
    search_fields = ["row_id"]
