import base64
import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Practice, Supervision, User
from accounts.security_views import new_backup_codes
from clients.models import Client, PresentingProblem
from demo.participation import build_client_answers
from demo.plans import build_demo_plan
from demo.scale import build
from demo.sessions import build_history
from participation import services as link_services
from participation.models import ClientLink
from plans.models import Signature, TreatmentPlan

DEMO_PASSWORD = "psyplan-demo"  # noqa: S105 - documented demo credential, refused outside DEBUG
# The demo admin's authenticator key (base32, as apps take it), documented in the README so the
# demo admin can sign in: `oathtool --totp -b DEMO_TOTP_SECRET` prints the current code.
DEMO_TOTP_SECRET = "PSYPLANDEMOADMINTWOFACTORKEY2345"  # noqa: S105 - documented demo credential, refused outside DEBUG

DEMO_PRACTICE = {
    "name": "Demo Practice",
    "timezone": "America/New_York",
    "address_line1": "100 Example Avenue, Suite 4",
    "city": "Springfield",
    "region": "NY",
    "postal_code": "10001",
    "country": "United States",
    "phone": "+1 555 0100",
    "email": "office@demo.test",
    "paper_size": Practice.PaperSize.LETTER,
}
OTHER_PRACTICE = {
    "name": "Other Practice",
    "timezone": "Europe/Berlin",
    "address_line1": "Beispielweg 7",
    "city": "Musterstadt",
    "postal_code": "10115",
    "country": "Germany",
    "phone": "+49 30 5550 0000",
    "email": "praxis@other.test",
    "paper_size": Practice.PaperSize.A4,
}

# (email, given, family, credentials, clinician, supervisor, admin, requires co-signature)
STAFF = [
    ("clinician@demo.test", "Dana", "Whitfield", "PsyD", True, False, False, False),
    ("trainee@demo.test", "Sam", "Okafor", "MA, trainee", True, False, False, True),
    ("supervisor@demo.test", "Ruth", "Lindqvist", "PhD, LP", True, True, False, False),
    ("admin@demo.test", "Alex", "Moreno", "", False, False, True, False),
]
OTHER_STAFF = [("other@demo.test", "Kai", "Brenner", "Dipl.-Psych.", True, False, False, False)]

# Entirely synthetic clients: (chart, given, family, preferred, born, clinician email, problem).
# The client whose active plan the demo shows agreed through a client link (issue 15).
AGREED_CHART = "D-1001"
CONSENTING_CHART = "D-1001"
CLIENTS = [
    (
        "D-1001",
        "Jordan",
        "Ashgrove",
        "",
        dt.date(1988, 3, 14),
        "clinician@demo.test",
        (
            "Low mood after job loss",
            "I just feel flat all the time, like nothing I do matters.",
            "Low energy, early waking, withdrawn in session",
            "Spring 2026",
            "Seven months",
            "moderate",
            "Missing days at new job; stopped seeing friends",
            "F33.1",
            "Major depressive disorder, recurrent, moderate",
        ),
    ),
    (
        "D-1002",
        "Morgan",
        "Fairbairn",
        "Mo",
        dt.date(1995, 11, 30),
        "clinician@demo.test",
        (
            "Anxiety in relationships",
            "Every time someone gets close I panic that they'll leave.",
            "Restlessness, reassurance seeking",
            "Adolescence",
            "Years, worse since breakup",
            "moderate",
            "Conflict with partner, poor sleep",
            "F41.1",
            "Generalized anxiety disorder",
        ),
    ),
    (
        "D-1003",
        "Riley",
        "Thornbury",
        "",
        dt.date(2001, 6, 2),
        "trainee@demo.test",
        (
            "Grief and anger after a parent's death",
            "I should be over it by now but I'm angry at everyone.",
            "Irritability, tearfulness when mother is mentioned",
            "January 2026",
            "Ten months",
            "moderate",
            "Arguments at home, difficulty concentrating at university",
            "F43.21",
            "Adjustment disorder with depressed mood",
        ),
    ),
    (
        "D-1004",
        "Casey",
        "Marlowe",
        "",
        dt.date(1979, 9, 21),
        "trainee@demo.test",
        (
            "Self-criticism and perfectionism",
            "Nothing I do is ever good enough.",
            "Harsh self-talk, overwork",
            "Childhood",
            "Long-standing",
            "mild",
            "Exhaustion, strained marriage",
            "",
            "",
        ),
    ),
    (
        "D-1005",
        "Quinn",
        "Halloway",
        "",
        dt.date(1990, 1, 8),
        "supervisor@demo.test",
        (
            "Emotional detachment",
            "People say I'm cold. I don't really feel much about anything.",
            "Flat affect, intellectualizing",
            "Early adulthood",
            "Years",
            "mild",
            "Isolation, few close relationships",
            "",
            "",
        ),
    ),
]
OTHER_CLIENTS = [
    (
        "O-2001",
        "Elia",
        "Sternfeld",
        "",
        dt.date(1985, 4, 17),
        "other@demo.test",
        (
            "Panic attacks",
            "My heart races and I think I'm dying.",
            "Avoids trains",
            "2025",
            "One year",
            "severe",
            "Cannot commute",
            "F41.0",
            "Panic disorder",
        ),
    ),
]


# A year of weekly sessions for each demo client with an active plan (demo/sessions.py).
SESSION_WEEKS = 52


class Command(BaseCommand):
    help = "Create the demo practices, staff and synthetic clients (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            help="Also build N synthetic clients with full plans and a year of reviews (for benchmarks).",
        )

    def handle(self, *args, force: bool = False, scale: int = 0, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with a published password, so it refuses to run with "
                "DEBUG off. Use --force only on a database that will never hold real records."
            )
        with transaction.atomic():
            demo = self._practice(DEMO_PRACTICE)
            other = self._practice(OTHER_PRACTICE)
            users = {**self._staff(demo, STAFF), **self._staff(other, OTHER_STAFF)}
            for supervisee in ("clinician@demo.test", "trainee@demo.test"):
                Supervision.objects.get_or_create(
                    practice=demo,
                    supervisor=users["supervisor@demo.test"],
                    supervisee=users[supervisee],
                    ended_on=None,
                    defaults={"started_on": dt.date(2026, 1, 5)},
                )
            clients = self._clients(demo, CLIENTS, users) + self._clients(other, OTHER_CLIENTS, users)
            self._extend(clients, users)
            self._agreement(clients)
            codes = self._two_factor(users["admin@demo.test"])
        if scale:
            build(scale)
            self.stdout.write(f"Scale Practice: {scale} more synthetic clients with plans and a year of reviews.")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(users)} accounts, password {DEMO_PASSWORD!r}."))
        for email in users:
            self.stdout.write(f"  {email}")
        self.stdout.write(
            f"admin@demo.test signs in with two-factor: authenticator key {DEMO_TOTP_SECRET} "
            f"(oathtool --totp -b {DEMO_TOTP_SECRET}), or one of these backup codes: {' '.join(codes)}"
        )

    def _two_factor(self, admin: User) -> list[str]:
        """Practice admins must use two-factor: give the demo admin the documented key and fresh backup codes."""
        key = base64.b32decode(DEMO_TOTP_SECRET + "=" * (-len(DEMO_TOTP_SECRET) % 8)).hex()
        TOTPDevice.objects.update_or_create(user=admin, name="authenticator", defaults={"key": key, "confirmed": True})
        return new_backup_codes(admin)

    def _practice(self, fields: dict) -> Practice:
        practice, _ = Practice.objects.get_or_create(name=fields["name"], defaults=fields)
        return practice

    def _staff(self, practice: Practice, rows) -> dict[str, User]:
        users = {}
        for email, given, family, credentials, clinician, supervisor, admin, cosign in rows:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(
                    email, DEMO_PASSWORD, given_name=given, family_name=family, credentials=credentials
                )
            Membership.objects.update_or_create(
                user=user,
                defaults={
                    "practice": practice,
                    "is_clinician": clinician,
                    "is_supervisor": supervisor,
                    "is_practice_admin": admin,
                    "requires_cosignature": cosign,
                },
            )
            users[email] = user
        return users

    def _clients(self, practice: Practice, rows, users) -> list[Client]:
        made = []
        for chart, given, family, preferred, born, clinician, problem in rows:
            client, created = Client.objects.get_or_create(
                practice=practice,
                chart_number=chart,
                defaults={
                    "given_name": given,
                    "family_name": family,
                    "preferred_name": preferred,
                    "date_of_birth": born,
                    "primary_clinician": users[clinician],
                    # In therapy for a little over the year of sessions demo/sessions.py records.
                    "intake_date": practice.today() - dt.timedelta(weeks=SESSION_WEEKS + 1),
                    "email": f"{given.lower()}.{family.lower()}@example.test",
                    # One client has consented to be sent links (issue 15), so the demo's scheduled
                    # questionnaires and emailed links have someone to go to.
                    **(
                        {"contact_consent_on": practice.today(), "contact_consent_recorded_by": users[clinician]}
                        if chart == CONSENTING_CHART
                        else {}
                    ),
                },
            )
            if created:
                title, words, observed, onset, duration, severity, impact, code, label = problem
                PresentingProblem.objects.create(
                    client=client,
                    title=title,
                    clients_words=words,
                    observed_symptoms=observed,
                    onset=onset,
                    duration=duration,
                    severity=severity,
                    functional_impact=impact,
                    diagnosis_code=code,
                    diagnosis_label=label,
                )
            made.append(client)
        return made

    def _extend(self, clients: list[Client], users: dict[str, User]) -> None:
        for client in clients:
            build_demo_plan(client)
            self._sessions(client)
        # One client has answered through client links: an open alert on the home page (demo/participation.py).
        build_client_answers(clients[0])

    def _agreement(self, clients: list[Client]) -> None:
        """One plan agreed to by its client through a link, once: made, opened, the date of birth
        checked and the name typed through the same services as the client's pages."""
        client = next((c for c in clients if c.chart_number == AGREED_CHART), None)
        plan = client.plans.filter(status=TreatmentPlan.Status.ACTIVE).first() if client else None
        if plan is None or plan.signatures.filter(meaning=Signature.Meaning.CLIENT_AGREEMENT).exists():
            return
        link, _ = link_services.create_link(
            actor=client.primary_clinician,
            client=client,
            purpose=ClientLink.Purpose.AGREEMENT,
            delivery=ClientLink.Delivery.HAND,
            plan=plan,
        )
        link_services.verify_birth_date(link=link, date_of_birth=client.date_of_birth)
        link_services.agree_to_plan(link=link, typed_name=client.full_name)

    def _sessions(self, client: Client) -> None:
        """A year of weekly sessions and their notes for a client with an active plan, once."""
        plan = client.plans.filter(status=TreatmentPlan.Status.ACTIVE).first()
        if plan is not None and not client.therapy_sessions.exists():
            build_history(plan, weeks=SESSION_WEEKS)
