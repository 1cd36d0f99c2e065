"""The one range of dates Psyplan accepts, for every date a person or a caller can enter.

Python's dates run to 9999-12-31, so a start date of 9999-12-31 passed every check and then
overflowed when the plan added its review interval (a 500), and a target date of year 1 was stored.
No clinical date (a date of birth, an intake, a plan's start, a target, a review, a score) lies
outside 1900-01-01 to 2200-12-31, so that range is enforced at every layer, from one validator:

- `ClinicalDateField`, the model field, runs it in model validation (`full_clean`), and so in every
  DRF ModelSerializer built from the model and every ModelForm, whose field it makes a
  `ClinicalDateFormField` (with `min`/`max` on the date input);
- `ClinicalDateFormField` for dates on plain forms; `core.api.serializers.ClinicalDateSerializerField`
  for dates on plain serializers.

2200 leaves room for a plan's horizon and review intervals (at most a few years) without overflow.
Rules narrower than this (a birth date not in the future) stay on the model's `clean()`.
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2200, 12, 31)
OUT_OF_RANGE = f"Enter a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."


def validate_clinical_date(value: dt.date | None) -> None:
    if value is None:
        return
    if isinstance(value, dt.datetime):
        value = value.date()
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(OUT_OF_RANGE, code="date_out_of_range")


class ClinicalDateFormField(forms.DateField):
    default_validators = [validate_clinical_date]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if not widget.is_hidden:
            # The browser's date picker offers only the accepted range; the server still checks.
            attrs.update({"min": EARLIEST.isoformat(), "max": LATEST.isoformat()})
        return attrs


class ClinicalDateField(models.DateField):
    default_validators = [validate_clinical_date]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": ClinicalDateFormField, **kwargs})

    def deconstruct(self):
        # In the database it is a plain date column, and the range check is Python's: migrations
        # record it as a DateField, so adopting it needs no migration (and no SQLite table rebuild).
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateField", args, kwargs
