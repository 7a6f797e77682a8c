from django.contrib import admin

from partners.models import Partner, PartnerInvitation, PartnerMembership


class PartnerMembershipInline(admin.TabularInline):
    model = PartnerMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "region", "status"]
    list_filter = ["sector", "region", "status"]
    search_fields = ["name"]
    inlines = [PartnerMembershipInline]


@admin.register(PartnerInvitation)
class PartnerInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "partner", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["partner"]
    search_fields = ["email", "partner__name"]
    readonly_fields = ["token_hash", "created_at", "accepted_at", "accepted_by"]
    raw_id_fields = ["invited_by", "accepted_by"]
