from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accounts import policy, reauth
from accounts.models import Membership, User


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email address and password do not match an active account.",
    }


def _supervisor_choices(practice, exclude_user=None):
    qs = User.objects.filter(policy.qualified_supervisor_q(), membership__practice=practice)
    if exclude_user is not None:
        qs = qs.exclude(pk=exclude_user.pk)
    return qs.order_by("family_name", "given_name")


class StaffRolesForm(forms.Form):
    credentials = forms.CharField(
        max_length=100, required=False, help_text="Printed with their signature, e.g. “PsyD, LMFT”."
    )
    is_clinician = forms.BooleanField(label="Clinician", required=False)
    requires_cosignature = forms.BooleanField(
        label="Requires co-signature (trainee)",
        required=False,
        help_text="Their plans become active only when a supervisor co-signs.",
    )
    is_supervisor = forms.BooleanField(
        label="Supervisor", required=False, help_text="A supervisor must be a clinician with credentials on record."
    )
    is_practice_admin = forms.BooleanField(label="Practice admin", required=False)
    supervisors = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Supervisors who review this clinician's plans.",
    )

    def __init__(self, *args, practice, exclude_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisors"].queryset = _supervisor_choices(practice, exclude_user)

    def clean(self):
        data = super().clean()
        if not (data.get("is_clinician") or data.get("is_supervisor") or data.get("is_practice_admin")):
            raise forms.ValidationError("Give this person at least one role.")
        if data.get("requires_cosignature") and not data.get("is_clinician"):
            self.add_error("requires_cosignature", "Only a clinician's plans can require co-signature.")
        problems = policy.supervisor_role_problems(
            is_clinician=bool(data.get("is_clinician")),
            is_supervisor=bool(data.get("is_supervisor")),
            credentials=data.get("credentials", ""),
        )
        for field, message in problems.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data

    @classmethod
    def initial_for(cls, membership: Membership) -> dict:
        return {
            "credentials": membership.user.credentials,
            "is_clinician": membership.is_clinician,
            "requires_cosignature": membership.requires_cosignature,
            "is_supervisor": membership.is_supervisor,
            "is_practice_admin": membership.is_practice_admin,
            "supervisors": list(
                membership.user.supervisions_received.current().values_list("supervisor_id", flat=True)
            ),
        }


class StaffInviteForm(StaffRolesForm):
    email = forms.EmailField(label="Email address")
    given_name = forms.CharField(max_length=150)
    family_name = forms.CharField(max_length=150)

    field_order = ["email", "given_name", "family_name", "credentials"]

    def clean_email(self):
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Someone with this email address already has an account.")
        return email


class DeactivateStaffForm(forms.Form):
    """The deactivation's one choice: who, if anyone, takes over the person's supervisees."""

    reassign_to = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Reassign their supervisees to",
        empty_label="Nobody for now",
        help_text=(
            "Optional. Each supervisee gets this supervisor in their place; "
            "you can also choose supervisors later on each person's roles page."
        ),
        error_messages={"invalid_choice": "Choose one of this practice's active, qualified supervisors listed."},
    )

    def __init__(self, *args, leaver: User, practice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reassign_to"].queryset = (
            policy.qualified_supervisors(practice).exclude(pk=leaver.pk).order_by("family_name", "given_name")
        )
        self.fields["reassign_to"].label_from_instance = lambda user: user.printed_name


class ReactivateStaffForm(forms.Form):
    """Which of the supervision links the deactivation ended start again: none unless ticked."""

    restore = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Restore their supervision of",
        help_text="Each ticked link starts again today; the ended one stays in the history.",
        error_messages={"invalid_choice": "Choose only the links listed here."},
    )

    def __init__(self, *args, offered, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["restore"].queryset = offered
        self.fields["restore"].label_from_instance = lambda link: (
            f"{link.supervisee.printed_name} (supervised {link.started_on:%Y-%m-%d} to {link.ended_on:%Y-%m-%d})"
        )


class SignerForm(forms.Form):
    """The signer's password, or their authenticator code if they have one (accounts/reauth.py),
    asked on the review step of every signature. Valid only once the signer is confirmed."""

    def __init__(self, *args, user, act: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.act = user, act
        self.uses_code = reauth.signer_uses_code(user)
        if self.uses_code:
            self.fields[reauth.OTP_FIELD] = forms.CharField(
                label="Code from your authenticator app",
                help_text="You have two-factor sign-in, so confirm with a fresh code from your authenticator app.",
                max_length=12,
                required=False,
                widget=forms.TextInput(
                    attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off"}
                ),
            )
        else:
            self.fields[reauth.PASSWORD_FIELD] = forms.CharField(
                label="Your password",
                help_text="Type the password you sign in with, to confirm it is you signing.",
                max_length=4096,
                required=False,
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
            )

    @property
    def secret(self):
        return self[reauth.OTP_FIELD if self.uses_code else reauth.PASSWORD_FIELD]

    def clean(self):
        data = super().clean()
        # Required-ness is the check's own (its message says what to type), so a blank answer is
        # logged and refused as the wrong one is.
        reauth.confirm_signer(
            user=self.user,
            password=data.get(reauth.PASSWORD_FIELD),
            otp_code=data.get(reauth.OTP_FIELD),
            act=self.act,
        )
        return data
