"""`__in` on integer columns ignores values no column of that type can hold.

Django (5.2) already answers `filter(pk=10**20)` with no rows (its IntegerFieldOverflow lookups),
but not `filter(pk__in=[10**20])`: that reaches the driver, which raises OverflowError on SQLite
and a range error on PostgreSQL, a 500. Every ModelMultipleChoiceField checks the submitted ids
with `pk__in`, so one huge number in any checkbox list of any form did that. Such a value matches
no row, so it is dropped here; with none left the lookup matches nothing, as an empty list does.
Registered on IntegerField (and so on every auto and big integer primary key) in AccountsConfig.ready.
"""

from django.db.models import IntegerField
from django.db.models.lookups import In


class IntegerFieldIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int) or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
