"""Re-verify every signature in the database against the content as it is stored now."""

from django.core.management.base import BaseCommand, CommandError

from plans.lifecycle.canonical import VALID, schema_of, verify
from plans.models import Signature, TreatmentPlan


class Command(BaseCommand):
    help = (
        "Recompute every signed version's canonical content from the database (never a cache) and compare it "
        "with each signature's stored JSON and hash. Lists every mismatch and exits non-zero if there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--store-missing",
            action="store_true",
            help="For signatures given before the signed JSON was stored: store it, where the content still "
            "hashes to the signed hash (the database allows filling it in once, never changing it).",
        )

    def handle(self, *args, store_missing: bool = False, **options):
        plan_ids = Signature.objects.order_by("plan_id").values_list("plan_id", flat=True).distinct()
        plans = signatures = legacy = stored = 0
        mismatches = []
        for plan_id in plan_ids.iterator():
            verification = verify(TreatmentPlan(pk=plan_id))
            plans += 1
            for check in verification.checks:
                signatures += 1
                s = check.signature
                if check.is_mismatch:
                    changed = f" [changed: {', '.join(verification.differences)}]" if verification.differences else ""
                    mismatches.append(
                        f"plan {plan_id}, signature {s.pk} ({s.meaning}, {s.signed_at:%Y-%m-%d}): "
                        + "; ".join(check.problems)
                        + changed
                    )
                    continue
                if check.state == VALID and not s.canonical_json:
                    legacy += 1
                    if store_missing:
                        signed = verification.rendered[schema_of(s)].decode("utf-8")
                        stored += Signature.objects.filter(pk=s.pk, canonical_json="").update(canonical_json=signed)
        for line in mismatches:
            self.stderr.write(f"MISMATCH {line}")
        summary = f"{signatures} signatures on {plans} plan versions checked; {len(mismatches)} do not match"
        if legacy:
            summary += f"; {legacy} were given before the signed JSON was stored (checked by hash)"
        if store_missing:
            summary += f"; stored the signed JSON of {stored}"
        if mismatches:
            raise CommandError(summary)
        self.stdout.write(summary)
