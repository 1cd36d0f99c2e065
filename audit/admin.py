from django.contrib import admin

from audit.models import AccessLog, ChangeRecord


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
