"""No date outside the clinical range (1900-01-01 to 2200-12-31) is accepted anywhere: forms, API and models.

A start date of 9999-12-31 used to overflow when the plan added its review interval (a 500).
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from plans.models import TreatmentPlan
from tests.factories import make_plan
from tests.project import PROJECT_PACKAGES

RANGE_WORDS = "between 1900-01-01 and 2200-12-31"


@pytest.fixture
def plan(own_client):
    return make_plan(own_client)


@pytest.fixture
def web(clinician, login):
    web = login(clinician)
    web.raise_request_exception = False
    return web


@pytest.mark.parametrize("start", ["9999-12-31", "1899-12-31", "2201-01-01"])
def test_starting_a_plan_on_a_date_outside_the_range_is_a_field_error(web, own_client, start):
    response = web.post(f"/plans/new/for-client/{own_client.pk}/", {"start_date": start, "review_interval": 3})
    assert response.status_code == 200
    assert RANGE_WORDS in str(response.context["form"].errors["start_date"])
    assert not TreatmentPlan.objects.filter(client=own_client).exists()


def test_the_edges_of_the_range_are_accepted(web, own_client):
    for start in ("2200-12-31", "1900-01-01"):
        # The second is a separate plan beside the first draft, so it takes the deliberate tick.
        data = {"start_date": start, "review_interval": 3, "separate_plan": "on"}
        response = web.post(f"/plans/new/for-client/{own_client.pk}/", data)
        assert response.status_code == 302, response.context["form"].errors
    assert sorted(str(p.start_date) for p in TreatmentPlan.objects.filter(client=own_client)) == [
        "1900-01-01",
        "2200-12-31",
    ]


def test_changing_a_plan_start_date_to_9999_is_a_field_error(web, plan):
    response = web.post(
        f"/plans/{plan.pk}/details/",
        {"version": plan.version, "start_date": "9999-12-31", "review_interval": 3, "horizon_months": 12},
    )
    assert response.status_code == 200
    assert RANGE_WORDS in str(response.context["details_form"].errors["start_date"])


def test_an_objective_target_date_outside_the_range_is_a_field_error(web, plan):
    goal = plan.goals.get()
    response = web.post(
        f"/plans/{plan.pk}/objective/add/?goal={goal.pk}",
        {"objective-new-statement": "Name the pattern", "objective-new-target_date": "0001-01-01"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert RANGE_WORDS in str(response.context["form"].errors["target_date"])


def test_model_validation_refuses_a_date_outside_the_range(plan):
    plan.start_date = dt.date(9999, 12, 31)
    with pytest.raises(ValidationError) as raised:
        plan.full_clean()
    assert RANGE_WORDS in str(raised.value.message_dict["start_date"])


# Dates the application computes, never takes from input (a plan starting at the range's very
# end has its first review a few months later).
COMPUTED_DATES = {"plans.TreatmentPlan.next_review_date", "progress.ProgressReview.due_date"}
OUR_APPS = PROJECT_PACKAGES


def _our_modules():
    import importlib
    import pkgutil

    for app in OUR_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" not in info.name and ".management" not in info.name:
                importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _checks_range(field) -> bool:
    from core.dates import validate_clinical_date

    return validate_clinical_date in field.validators


def test_every_date_field_of_our_models_checks_the_clinical_range():
    from django.apps import apps
    from django.db import models

    unchecked = [
        f"{model._meta.app_label}.{model.__name__}.{field.name}"
        for app in OUR_APPS
        if apps.is_installed(app)
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)
    ]
    unchecked = [
        name
        for name in unchecked
        if name not in COMPUTED_DATES
        and not _checks_range(apps.get_model(name.rsplit(".", 1)[0])._meta.get_field(name.rsplit(".", 1)[1]))
    ]
    assert unchecked == []


def test_every_date_field_of_our_forms_and_serializers_checks_the_clinical_range():
    from django import forms
    from rest_framework import serializers

    _our_modules()
    form_classes = [c for c in _subclasses(forms.BaseForm) if c.__module__.split(".")[0] in OUR_APPS]
    assert len(form_classes) > 10
    form_dates = {
        f"{c.__module__}.{c.__name__}.{name}": field
        for c in form_classes
        for name, field in c.base_fields.items()
        if isinstance(field, forms.DateField)
    }
    # The start, target, birth, intake, discharge, score, export and audit filter dates at least.
    assert len(form_dates) >= 9
    unchecked = [name for name, field in form_dates.items() if not _checks_range(field)]
    serializer_dates = 0
    serializer_classes = [
        c
        for c in _subclasses(serializers.Serializer)
        if c.__module__.split(".")[0] in OUR_APPS
        and not (issubclass(c, serializers.ModelSerializer) and not hasattr(c, "Meta"))
    ]
    assert len(serializer_classes) > 10
    for c in serializer_classes:
        for name, field in c().fields.items():
            if isinstance(field, serializers.DateField) and not field.read_only:
                serializer_dates += 1
                if not _checks_range(field):
                    unchecked.append(f"{c.__module__}.{c.__name__}.{name}")
    assert serializer_dates >= 5
    assert unchecked == []
