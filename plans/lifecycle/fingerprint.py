"""Whether a locked version's rows are exactly those its signatures were last checked against,
asked of PostgreSQL in one query.

Checking the signatures of a version (canonical.verify) reads its whole tree, renders the
canonical JSON and hashes it: about a dozen queries and most of what a signed plan page or an API
read of it costs (issue 17). A locked version's rows do not change, and when one does (behind the
guards: a direct UPDATE, a restore gone wrong) that is exactly what the check is for.

PostgreSQL gives every row version the id of the transaction that wrote it (`xmin`): an UPDATE
writes a new row version with a new `xmin`, an INSERT a new row, a DELETE removes one. So the
`xmin` of every row the content is made of, with the rows' ids, names the content as the database
holds it: if none of them changed, the content is byte for byte the one already checked, and that
check's result holds. `fingerprint` reads them for a version in one query, over more rows than the
content needs (a version's removed items too, the client's every problem), never fewer; a change to
any of them only means the next reader checks in full. A test reads the queries `verify` makes and
fails when a table it reads is not listed here.

Every write of one transaction carries that transaction's id, so rows a transaction rewrote after
a check in that same transaction would look unchanged: inside a transaction that has written
anything (and so in most tests, which run in one), `fingerprint` says None. Requests read a
version outside such a transaction (the access log is written in its own).

On another database (SQLite for `make run`) there is no `xmin`: `fingerprint` says None and every
check is made in full.
"""

import functools
import hashlib

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from clients.models import Client, PresentingProblem
from formulation.models import ConflictType, CoreConflict, DefenseMechanism, DefenseObservation, Formulation
from plans.models import (
    Goal,
    Intervention,
    InterventionTechnique,
    MeasureDefinition,
    Objective,
    PlanQuote,
    Signature,
    TreatmentPlan,
)


def sources(plan: TreatmentPlan) -> list[QuerySet]:
    """Every row a version's canonical content and its signatures are read from, and some more."""
    pk = plan.pk
    objectives = Objective.objects.filter(goal__plan_id=pk)
    formulation = Formulation.objects.filter(plan_id=pk)
    conflicts = CoreConflict.objects.filter(formulation__plan_id=pk)
    defenses = DefenseObservation.objects.filter(formulation__plan_id=pk)
    interventions = Intervention.objects.filter(plan_id=pk)
    return [
        TreatmentPlan.objects.filter(pk=pk),
        Client.objects.filter(pk=plan.client_id),
        PlanQuote.objects.filter(plan_id=pk),
        Signature.objects.filter(plan_id=pk),
        TreatmentPlan.presenting_problems.through.objects.filter(treatmentplan_id=pk),
        PresentingProblem.objects.filter(client_id=plan.client_id),
        formulation,
        conflicts,
        ConflictType.objects.filter(pk__in=conflicts.values("conflict_type_id")),
        defenses,
        DefenseMechanism.objects.filter(pk__in=defenses.values("mechanism_id")),
        Goal.objects.filter(plan_id=pk),
        objectives,
        MeasureDefinition.objects.filter(pk__in=objectives.values("bound_measure_id")),
        Objective.presenting_problems.through.objects.filter(objective__goal__plan_id=pk),
        Objective.conflicts.through.objects.filter(objective__goal__plan_id=pk),
        Objective.defenses.through.objects.filter(objective__goal__plan_id=pk),
        # The linked items are read by id: a link to another version's item is a corruption of its
        # own, and then those rows count too.
        CoreConflict.objects.filter(
            pk__in=Objective.conflicts.through.objects.filter(objective__goal__plan_id=pk).values("coreconflict_id")
        ),
        DefenseObservation.objects.filter(
            pk__in=Objective.defenses.through.objects.filter(objective__goal__plan_id=pk).values(
                "defenseobservation_id"
            )
        ),
        interventions,
        InterventionTechnique.objects.filter(pk__in=interventions.values("technique_id")),
        Intervention.objectives.through.objects.filter(intervention__plan_id=pk),
        Objective.objects.filter(
            pk__in=Intervention.objectives.through.objects.filter(intervention__plan_id=pk).values("objective_id")
        ),
    ]


# Stand-ins for a version's pk and its client's, for compiling the query once per process.
_PLAN, _CLIENT = -7_100_000_001, -7_100_000_002


@functools.cache
def _query() -> tuple[str, tuple]:
    """The fingerprint's SQL and its parameters with the stand-ins: the same text for every
    version, so Django compiles its two dozen parts once, not on every read."""
    # Only our models' table names and Django's own compiled queries go into the text; every value
    # is a parameter.
    selects, params = [], []
    for index, rows in enumerate(sources(TreatmentPlan(pk=_PLAN, client_id=_CLIENT))):
        table = rows.model._meta.db_table
        row_version = RawSQL(f'"{table}".xmin::text', ())  # noqa: S611  # nosec B611
        sql, values = (
            rows.order_by().annotate(row_version=row_version).values_list("pk", "row_version").query.sql_with_params()
        )
        selects.append(f"SELECT {index} AS source, s.* FROM ({sql}) s")  # noqa: S608  # nosec B608
        params += values
    if set(params) - {_PLAN, _CLIENT}:
        raise ImproperlyConfigured("A fingerprint source may filter by the version and its client only.")
    union = " UNION ALL ".join(selects)
    # A transaction's rows all carry its own id, however often it rewrites them: while this one has
    # written anything, row versions cannot tell its writes apart, and no fingerprint is given.
    query = f"SELECT txid_current_if_assigned() IS NOT NULL, count(*), string_agg(source || ':' || id || ':' || row_version, ',' ORDER BY source, id) FROM ({union}) AS rows(source, id, row_version)"  # noqa: E501, S608  # nosec B608
    return query, tuple(params)


def fingerprint(plan: TreatmentPlan) -> str | None:
    """A digest of the ids and row versions of every row in `sources`, read now in one query;
    None where the database keeps no row versions, or inside a transaction that has written."""
    if connection.vendor != "postgresql":
        return None
    query, stand_ins = _query()
    params = [plan.pk if value == _PLAN else plan.client_id for value in stand_ins]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        writing, count, versions = cursor.fetchone()
    if writing:
        return None
    return hashlib.sha256(f"{count}|{versions}".encode()).hexdigest()
