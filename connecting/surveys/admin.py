from django.contrib import admin

from connecting.surveys.models import Survey, SurveyInvitation, SurveyQuestion


class SurveyQuestionInline(admin.TabularInline):
    model = SurveyQuestion
    extra = 0
    fields = ("position", "text", "kind", "statement", "required")

    def has_change_permission(self, request, obj=None):
        # Questions change through the portal's draft page only, where the rules live.
        return False

    has_add_permission = has_delete_permission = has_change_permission


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Read-only: surveys are written, opened and closed in the portal, which invites and e-mails."""

    list_display = ("title", "programme", "cohort", "audience", "status", "opened_at", "closes_on")
    list_filter = ("status", "audience", "programme")
    search_fields = ("title",)
    inlines = [SurveyQuestionInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin):
    list_display = ("survey", "user", "created_at", "answered_at")
    list_filter = ("survey",)
    search_fields = ("user__email",)
    raw_id_fields = ("survey", "user")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
