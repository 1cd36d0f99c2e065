from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from accounts import page_parts, policy, services
from accounts.forms import (
    DeactivateStaffForm,
    EmailAuthenticationForm,
    ReactivateStaffForm,
    StaffInviteForm,
    StaffRolesForm,
)
from accounts.models import Supervision
from audit import log
from core.idempotency import once_per_form


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Signing out signs this person out everywhere: every other session of theirs ends too."""

    def post(self, request, *args, **kwargs):
        user = request.user
        response = super().post(request, *args, **kwargs)
        if user.is_authenticated:
            services.end_all_sessions(user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        log.record(action=log.Action.PASSWORD_CHANGE, object_type="user", object_id=self.request.user.pk)
        # A changed password ends every other session of this person.
        services.end_all_sessions(self.request.user, except_session_key=self.request.session.session_key)
        messages.success(self.request, "Your password has been changed. Other sessions have been signed out.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Every address takes the same path: the request only queues the email through the outbox,
    and the task looks the account up (services.request_password_reset). Django's view would
    send the mail inside the request for real accounts only, and its timing would tell."""

    template_name = "accounts/password_reset.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        services.request_password_reset(email=form.cleaned_data["email"])
        return redirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        log.record(
            action=log.Action.PASSWORD_CHANGE,
            actor=form.user,
            object_type="user",
            object_id=form.user.pk,
            detail="reset by email link",
        )
        # A reset password ends every session that knew the old one.
        services.end_all_sessions(form.user)
        return response


def _managed_membership(request, pk: int | None = None):
    """The staff pages are an admin's: to everyone else they do not exist."""
    memberships = policy.manageable_memberships(request.user).select_related("user", "practice")
    if pk is None:
        if not policy.can(request.user, policy.Action.MANAGE_STAFF):
            raise Http404
        return memberships
    return get_object_or_404(memberships, pk=pk)


@login_required
def staff_list(request):
    memberships = _managed_membership(request).order_by("-user__is_active", "user__family_name", "user__given_name")
    supervisors_by_user: dict[int, list] = {}
    for membership in memberships:
        supervisors_by_user[membership.user_id] = []
    # The links as recorded, qualified or not: this page is where an admin ends the ones that no longer hold.
    for supervision in (
        Supervision.objects.current()
        .filter(practice_id=policy.practice_id_of(request.user))
        .select_related("supervisor")
    ):
        supervisors_by_user.setdefault(supervision.supervisee_id, []).append(supervision.supervisor)
    rows = [(m, supervisors_by_user.get(m.user_id, [])) for m in memberships]
    return render(request, "accounts/staff_list.html", {"rows": rows})


@login_required
@once_per_form
def staff_invite(request):
    _managed_membership(request)
    practice = policy.membership_of(request.user).practice
    form = StaffInviteForm(request.POST or None, practice=practice)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.invite_staff(
                actor=request.user,
                practice=practice,
                email=data["email"],
                given_name=data["given_name"],
                family_name=data["family_name"],
                credentials=data["credentials"],
                is_clinician=data["is_clinician"],
                is_supervisor=data["is_supervisor"],
                is_practice_admin=data["is_practice_admin"],
                requires_cosignature=data["requires_cosignature"],
                supervisors=data["supervisors"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Invitation sent to {membership.user.email}.")
            return redirect("accounts:staff_list")
    return render(request, "accounts/staff_form.html", {"form": form, "title": "Invite a staff member"})


@login_required
def staff_edit(request, pk: int):
    membership = _managed_membership(request, pk)
    form = StaffRolesForm(
        request.POST or None,
        practice=membership.practice,
        exclude_user=membership.user,
        initial=StaffRolesForm.initial_for(membership),
    )
    is_self = membership.user_id == request.user.pk
    if is_self and request.method != "POST":
        # Shown for reference only; a crafted POST is refused field by field by the service.
        for field in form.fields.values():
            field.widget.attrs["disabled"] = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_staff_roles(
                actor=request.user,
                membership=membership,
                credentials=data["credentials"],
                is_clinician=data["is_clinician"],
                is_supervisor=data["is_supervisor"],
                is_practice_admin=data["is_practice_admin"],
                requires_cosignature=data["requires_cosignature"],
                supervisors=data["supervisors"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            if is_self:
                # A refused attempt on one's own roles is worth an admin's attention in the log.
                log.record(
                    action=log.Action.ROLE_CHANGE,
                    outcome=log.DENIED,
                    object_type="user",
                    object_id=membership.user_id,
                    subject_practice_id=membership.practice_id,
                    detail="refused: change of own roles or supervision",
                )
        else:
            messages.success(request, f"Roles saved for {membership.user}.")
            return redirect("accounts:staff_list")
    return render(
        request,
        "accounts/staff_form.html",
        {"form": form, "edited": membership, "is_self": is_self, "title": f"Roles for {membership.user}"},
    )


@login_required
@require_http_methods(["GET", "POST"])
@once_per_form
def staff_set_active(request, pk: int):
    """GET: what deactivating (or reactivating) this person would change, and the choices it offers.
    POST: do it. The staff list links here, so nothing happens on a single click."""
    membership = _managed_membership(request, pk)
    person = membership.user
    if person.pk == request.user.pk:
        messages.error(request, "You cannot deactivate your own account; another admin of the practice can.")
        return redirect("accounts:staff_list")
    if request.method == "POST" and (request.POST.get("active") == "1") == person.is_active:
        # A second tab, or a form left open while someone else acted: say so rather than act twice.
        state = "active" if person.is_active else "deactivated"
        messages.error(request, f"{person} is already {state}.")
        return redirect("accounts:staff_list")
    if person.is_active:
        return _deactivation(request, membership)
    return _reactivation(request, membership)


def _deactivation(request, membership):
    person = membership.user
    form = DeactivateStaffForm(
        request.POST if request.method == "POST" else None, leaver=person, practice=membership.practice
    )
    if request.method == "POST" and form.is_valid():
        reassign_to = form.cleaned_data["reassign_to"]
        try:
            done = services.deactivate_staff(actor=request.user, membership=membership, reassign_to=reassign_to)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            text = f"{person} has been deactivated. Their records are kept."
            if done.ended:
                text += f" Their supervision of {_people(len(done.ended))} has ended."
            if reassign_to is not None:
                text += f" {reassign_to} now supervises {_people(len(done.reassigned))} in their place."
            messages.success(request, text)
            return redirect("accounts:staff_list")
    supervisees = policy.supervisees_of_leaver(person)
    return render(
        request,
        "accounts/staff_deactivate.html",
        {
            "person": person,
            "form": form,
            "left_without": [s for s in supervisees if s.left_without_supervisor],
            "keeping_another": [s for s in supervisees if not s.left_without_supervisor],
            **page_parts.fill(page_parts.STAFF_DEACTIVATION, user=request.user, person=person),
        },
    )


def _reactivation(request, membership):
    person = membership.user
    offered = policy.restorable_links(person)
    form = ReactivateStaffForm(request.POST if request.method == "POST" else None, offered=offered)
    if request.method == "POST" and form.is_valid():
        try:
            restored = services.reactivate_staff(
                actor=request.user, membership=membership, restore=form.cleaned_data["restore"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            text = f"{person} can sign in again."
            if restored:
                text += f" Their supervision of {_people(len(restored))} has started again."
            messages.success(request, text)
            return redirect("accounts:staff_list")
    offered_ids = {link.pk for link in offered}
    return render(
        request,
        "accounts/staff_reactivate.html",
        {
            "person": person,
            "form": form,
            "deactivation": policy.open_deactivation(person),
            "not_offered": [link for link in policy.links_ended_by_deactivation(person) if link.pk not in offered_ids],
        },
    )


def _people(count: int) -> str:
    return "1 person" if count == 1 else f"{count} people"
