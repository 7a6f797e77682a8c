from django.contrib import admin

from placements.models import (
    Booking,
    Cohort,
    Enrolment,
    Opportunity,
    ParticipantInterests,
    Programme,
    Slot,
    Theme,
)


class CohortInline(admin.TabularInline):
    model = Cohort
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_organisation", "starts_on", "ends_on", "target_days_per_participant"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "owner_organisation"]
    inlines = [CohortInline]


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["participant", "programme", "cohort", "enrolled_at"]
    list_filter = ["programme"]
    search_fields = ["participant__email", "participant__full_name"]
    raw_id_fields = ["participant", "enrolled_by"]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    """The policy-area taxonomy: add entries here; keep slugs stable once used."""

    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0
    readonly_fields = ["places_held"]


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["title", "partner", "status", "duration", "published_at"]
    list_filter = ["status", "duration", "partner__sector"]
    search_fields = ["title", "partner__name"]
    filter_horizontal = ["programmes", "policy_areas"]
    raw_id_fields = ["partner", "created_by"]
    inlines = [SlotInline]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Read-only: bookings change state only through the booking services, which keep places right."""

    list_display = ["participant", "slot", "programme", "status", "created_at"]
    list_filter = ["status", "programme"]
    search_fields = ["participant__email", "slot__opportunity__title"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ParticipantInterests)
class ParticipantInterestsAdmin(admin.ModelAdmin):
    list_display = ["participant", "base_postcode", "updated_at"]
    raw_id_fields = ["participant"]
