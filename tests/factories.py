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


def make_plan(client, *, goals: int = 1, objectives: int = 1, interventions: int = 1, template=None):
    """A draft plan of the given size, built through the services as a clinician would."""
    from formulation import services as formulation_services
    from formulation.models import ConflictType, DefenseMechanism
    from plans.editor import services
    from plans.models import InterventionTechnique

    problem = PresentingProblemFactory(client=client)
    plan = services.start_plan(
        actor=client.primary_clinician,
        client=client,
        start_date=dt.date(2026, 11, 2),
        presenting_problems=[problem],
        template=template,
    )
    author = client.primary_clinician
    conflict = formulation_services.add_conflict(
        actor=author,
        formulation=plan.formulation,
        conflict_type=ConflictType.objects.get(code="care-self-sufficiency"),
        intensity="significant",
        mode="passive",
        description="Longs to be cared for, insists on needing no one.",
    )
    defense = formulation_services.add_defense(
        actor=author,
        formulation=plan.formulation,
        mechanism=DefenseMechanism.objects.get(name="Isolation of affect"),
        evidence="Describes the loss without feeling.",
    )
    technique = InterventionTechnique.objects.get(name="Defense analysis")
    for g in range(goals):
        goal = services.add_goal(actor=author, plan=plan, statement=f"Goal {g + 1}")
        made = []
        for o in range(objectives):
            made.append(
                services.add_objective(
                    actor=author,
                    goal=goal,
                    statement=f"Identify pattern {g + 1}.{o + 1} in relationships",
                    measure="Patterns named in session",
                    target="Names 2 patterns",
                    target_date=dt.date(2027, 3, 1),
                    presenting_problems=[problem],
                    conflicts=[conflict],
                    defenses=[defense],
                )
            )
        for _ in range(interventions):
            for objective in made:
                services.add_intervention(
                    actor=author, plan=plan, technique=technique, objectives=[objective], frequency="weekly"
                )
    return plan


def complete_review_continuing(actor, review, *, alliance_tasks: int = 3):
    """Complete a one-objective review as the clinician would: the objective progressing at 40 %,
    the plan continued unchanged."""
    from plans.models import Objective
    from progress.models import ObjectiveProgress, ProgressReview
    from progress.services import EntryInput, ReviewRecord, complete_review

    objective = Objective.objects.get(goal__plan=review.plan)
    record = ReviewRecord(
        entries=[EntryInput(objective, ObjectiveProgress.Status.PROGRESSING, 40, "Names one pattern.")],
        alliance_bond=4,
        alliance_goals=4,
        alliance_tasks=alliance_tasks,
        summary="Steady.",
        decision=ProgressReview.Decision.CONTINUE,
    )
    return complete_review(actor=actor, review=review, record=record)
