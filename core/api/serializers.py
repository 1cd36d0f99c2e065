from rest_framework import serializers

from core.dates import validate_clinical_date


class OutputSerializer(serializers.ModelSerializer):
    """A read-only model serializer whose schema says what its values can really be.

    DRF builds read-only fields without `allow_blank`, so a blank choice ("" for "not set")
    would be documented as impossible; here blank and null model fields say so in the schema.
    """

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if model_field.blank and "choices" in kwargs:
            kwargs["allow_blank"] = True
        if model_field.null:
            kwargs["allow_null"] = True
        return field_class, kwargs

    def include_extra_kwargs(self, kwargs, extra_kwargs):
        # `read_only_fields` drops allow_blank; a blank choice is still a value these fields can have.
        allow_blank = kwargs.get("allow_blank")
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if allow_blank and "choices" in kwargs:
            kwargs["allow_blank"] = True
        return kwargs


class ClinicalDateSerializerField(serializers.DateField):
    """A date in the clinical range (core/dates.py), for serializers not built from a model."""

    def __init__(self, **kwargs):
        kwargs["validators"] = [*kwargs.get("validators", []), validate_clinical_date]
        super().__init__(**kwargs)
