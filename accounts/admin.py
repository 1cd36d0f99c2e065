from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import policy
from accounts.models import Membership, Practice, Supervision, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "given_name", "family_name", "is_active", "is_superuser"]
    search_fields = ["email", "given_name", "family_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["given_name", "family_name", "credentials"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "given_name", "family_name", "password1", "password2"]})
    ]


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "paper_size"]


class _NotYourOwnMixin:
    """Superusers manage roles and supervision here too, but never their own (see accounts.policy)."""

    # The foreign keys naming the people a row is about.
    own_fields: tuple[str, ...] = ()

    def _is_own(self, request, obj) -> bool:
        return request.user.pk in {getattr(obj, f"{name}_id") for name in self.own_fields}

    def has_change_permission(self, request, obj=None) -> bool:
        return not (obj is not None and self._is_own(request, obj)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return not (obj is not None and self._is_own(request, obj)) and super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        own_fields = self.own_fields

        class NotYourOwnForm(form):
            def clean(self):
                data = super().clean()
                for name in own_fields:
                    if data.get(name) is not None and data[name].pk == request.user.pk:
                        self.add_error(name, policy.NOT_YOUR_OWN_ROLES)
                return data

        return NotYourOwnForm


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "practice", "is_clinician", "is_supervisor", "is_practice_admin", "requires_cosignature"]

    def clean(self):
        data = super().clean()
        user = data.get("user") or getattr(self.instance, "user", None)
        problems = policy.supervisor_role_problems(
            is_clinician=bool(data.get("is_clinician")),
            is_supervisor=bool(data.get("is_supervisor")),
            credentials=getattr(user, "credentials", ""),
        )
        if "credentials" in problems:
            problems["is_supervisor"] = problems.pop("credentials")
        for field, message in problems.items():
            self.add_error(field, message)
        return data


@admin.register(Membership)
class MembershipAdmin(_NotYourOwnMixin, admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ["user", "practice", "is_clinician", "is_supervisor", "is_practice_admin", "requires_cosignature"]
    list_filter = ["practice"]
    own_fields = ("user",)


class SupervisionAdminForm(forms.ModelForm):
    class Meta:
        model = Supervision
        fields = ["practice", "supervisor", "supervisee", "started_on", "ended_on"]

    def clean(self):
        data = super().clean()
        supervisor, practice = data.get("supervisor"), data.get("practice")
        if supervisor is not None and practice is not None and not policy.may_supervise(supervisor, practice.pk):
            self.add_error(
                "supervisor", "Choose a supervisor of this practice who is a clinician with credentials on record."
            )
        return data


@admin.register(Supervision)
class SupervisionAdmin(_NotYourOwnMixin, admin.ModelAdmin):
    form = SupervisionAdminForm
    list_display = ["supervisor", "supervisee", "practice", "started_on", "ended_on"]
    own_fields = ("supervisor", "supervisee")
