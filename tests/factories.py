"""factory_boy factories, one per model. All data is synthetic."""

import datetime as dt

import factory

from accounts.models import Membership, Practice, Supervision, User
from clients.models import Client, PresentingProblem

PASSWORD = "correct-horse-battery"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Test Practice {n}")
    timezone = "America/New_York"
    address_line1 = "1 Test Street"
    city = "Testville"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    given_name = factory.Sequence(lambda n: f"Given{n}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    credentials = "PsyD"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)
    is_clinician = True


def staff(practice, **roles) -> User:
    """A user with a membership in `practice` holding the given roles."""
    roles.setdefault("is_clinician", False)
    return MembershipFactory(practice=practice, **roles).user


class SupervisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supervision

    practice = factory.LazyAttribute(lambda o: o.supervisor.membership.practice)
    supervisor = factory.SubFactory(UserFactory)
    supervisee = factory.SubFactory(UserFactory)
    started_on = dt.date(2026, 1, 1)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    primary_clinician = factory.SubFactory(UserFactory)
    practice = factory.LazyAttribute(lambda o: o.primary_clinician.membership.practice)
    chart_number = factory.Sequence(lambda n: f"C-{n:05d}")
    given_name = factory.Sequence(lambda n: f"Client{n}")
    family_name = "Synthetic"
    date_of_birth = dt.date(1990, 5, 17)
    intake_date = dt.date(2026, 9, 1)


class PresentingProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PresentingProblem

    client = factory.SubFactory(ClientFactory)
    title = "Low mood"
    clients_words = "I feel flat most days."
    severity = PresentingProblem.Severity.MODERATE
