from django.contrib import admin

from connecting.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is never added to, changed or deleted by hand."""

    list_display = ["created_at", "verb", "actor_description", "object_type", "object_id", "description"]
    list_filter = ["verb", "object_type"]
    search_fields = ["actor_description", "description", "object_id"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
