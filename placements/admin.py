from django.contrib import admin

from placements.models import Programme


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_organisation", "starts_on", "ends_on", "target_days_per_participant"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "owner_organisation"]
