from django.contrib import admin

from debriefs.models import Debrief, Insight, PartnerFeedback, PolicyAction, Preparation, ReviewEvent


class _ReadOnly(admin.ModelAdmin):
    """Records of visits change through the portal's own pages, which check who may do what and
    record each step: the admin only reads them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Preparation)
class PreparationAdmin(_ReadOnly):
    list_display = ["booking", "status", "submitted_at"]
    list_filter = ["status"]


@admin.register(Debrief)
class DebriefAdmin(_ReadOnly):
    list_display = ["booking", "status", "consent", "submitted_at", "reviewer"]
    list_filter = ["status", "consent"]


@admin.register(ReviewEvent)
class ReviewEventAdmin(_ReadOnly):
    list_display = ["debrief", "action", "from_status", "to_status", "actor", "created_at"]


@admin.register(PolicyAction)
class PolicyActionAdmin(_ReadOnly):
    list_display = ["description", "owner", "status", "done_at"]
    list_filter = ["status"]


@admin.register(PartnerFeedback)
class PartnerFeedbackAdmin(_ReadOnly):
    list_display = ["booking", "visitor_prepared", "value_to_partner", "would_host_again"]


@admin.register(Insight)
class InsightAdmin(_ReadOnly):
    list_display = ["title", "partner", "sector", "region", "visited_on", "published_at"]
    list_filter = ["sector", "region"]
