"""Staff admin for tenants, people and credentials.

Tenant models' default manager is the plain `unscoped` one, so the admin lists every
organization's rows, which is exactly what staff need. Secrets never appear: the
invitation token hash and API key hash are excluded from every admin form and list.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ApiKey, Invitation, Membership, Organization, User
from accounts.services.api_keys import api_key_revoke
from accounts.services.organizations import organization_set_suspended


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user"]
    verbose_name = _("member")
    verbose_name_plural = _("members")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "member_count", "plan_status", "is_suspended", "created_at"]
    list_filter = ["plan_status", "is_suspended", "created_at"]
    search_fields = ["name", "slug"]
    readonly_fields = ["created_at"]
    fields = ["name", "slug", "plan_status", "is_suspended", "suspended_reason", "created_at"]
    ordering = ["-created_at"]
    inlines = [MembershipInline]
    actions = ["suspend", "unsuspend"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organization]:
        return super().get_queryset(request).annotate(member_count=Count("memberships", distinct=True))

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, organization: Organization) -> int:
        return organization.member_count  # type: ignore[attr-defined]

    @admin.action(description=_("Suspend selected organizations"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            organization_set_suspended(
                organization=organization, suspended=True, reason=str(_("Suspended by MyAgent staff."))
            )
        count = len(queryset)
        self.message_user(
            request,
            ngettext("%(count)d organization suspended.", "%(count)d organizations suspended.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Lift the suspension of selected organizations"))
    def unsuspend(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            organization_set_suspended(organization=organization, suspended=False)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("%(count)d organization reactivated.", "%(count)d organizations reactivated.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email"]
        field_classes: dict[str, Any] = {}


class UserAdminChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
        field_classes: dict[str, Any] = {}


class MembershipOfUserInline(MembershipInline):
    fields = ["organization", "role", "created_at"]
    raw_id_fields = ["organization"]
    verbose_name = _("membership")
    verbose_name_plural = _("memberships")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserCreationForm
    list_display = ["email", "full_name", "language", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language", "date_joined"]
    search_fields = ["email", "full_name"]
    ordering = ["-date_joined"]
    readonly_fields = ["date_joined", "last_login"]
    inlines = [MembershipOfUserInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),)

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list[type[admin.options.InlineModelAdmin]]:
        # The add form is email + password only; memberships come after the user exists.
        return self.inlines if obj is not None else []


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "created_at"]
    search_fields = ["user__email", "organization__name"]
    raw_id_fields = ["user", "organization"]
    list_select_related = ["user", "organization"]
    readonly_fields = ["created_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "role", "status", "invited_by", "created_at", "expires_at"]
    list_filter = ["role", "created_at", "expires_at"]
    search_fields = ["email", "organization__name"]
    list_select_related = ["organization", "invited_by"]
    # Never `token_hash`: even a hash of a live link is not something staff screens show.
    fields = ["organization", "email", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    readonly_fields = ["organization", "email", "invited_by", "created_at", "accepted_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Invitations are only useful with the emailed raw token, which the BackOffice sends.
        return False

    @admin.display(description=_("status"))
    def status(self, invitation: Invitation) -> str:
        if invitation.accepted_at:
            return str(_("Accepted"))
        if invitation.revoked_at:
            return str(_("Cancelled"))
        if invitation.expires_at <= timezone.now():
            return str(_("Expired"))
        return str(_("Pending"))


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "prefix", "scope", "last_used_at", "is_revoked", "created_at"]
    list_filter = ["scope", "created_at", "revoked_at"]
    search_fields = ["name", "prefix", "organization__name"]
    list_select_related = ["organization"]
    # Never `key_hash`.
    fields = ["organization", "name", "prefix", "scope", "created_by", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["organization", "prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A key's secret is shown once at creation; that happens in the BackOffice or the CLI.
        return False

    @admin.display(description=_("revoked"), boolean=True, ordering="revoked_at")
    def is_revoked(self, api_key: ApiKey) -> bool:
        return api_key.revoked_at is not None

    @admin.action(description=_("Revoke selected API keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        keys = list(queryset.select_related("organization"))
        for api_key in keys:
            api_key_revoke(organization=api_key.organization, key_id=api_key.pk)
        self.message_user(
            request,
            ngettext("%(count)d API key revoked.", "%(count)d API keys revoked.", len(keys)) % {"count": len(keys)},
            messages.SUCCESS,
        )
