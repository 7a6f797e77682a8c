from django.contrib import admin

from connecting.reports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Read only: jobs are written by the exports page and the workers."""

    list_display = (
        "pk",
        "dataset",
        "format",
        "status",
        "requested_by",
        "row_count",
        "created_at",
        "expires_at",
    )
    list_filter = ("status", "dataset", "format")
    list_select_related = ("requested_by",)
    readonly_fields = [field.name for field in ExportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
