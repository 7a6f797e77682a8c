from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from connecting.accounts.models import User
from connecting.audit.models import AuditVerb
from connecting.audit.services import audit_record

ACCESS_FIELDS = ("role", "is_active", "is_staff", "is_superuser", "groups")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "organisation", "directorate", "is_active"]
    list_filter = ["role", "is_active", "is_staff", "grade"]
    search_fields = ["email", "full_name", "organisation", "directorate"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "job_title", "organisation", "directorate", "grade")}),
        (_("Role and access"), {"fields": ("role", "is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "role", "password1", "password2")}),
    )

    def save_related(self, request, form, formsets, change):
        # After the groups are saved: a change of role or access made here is audited like any other.
        super().save_related(request, form, formsets, change)
        changed = [name for name in ACCESS_FIELDS if name in form.changed_data]
        if changed:
            audit_record(
                actor=request.user,
                verb=AuditVerb.ROLE_CHANGED,
                obj=form.instance,
                description=f"Changed in the admin: {', '.join(changed)} (role now {form.instance.role})",
                request=request,
                fields=changed,
            )
