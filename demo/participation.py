"""What a demo client has answered through client links (issue 15), made through the services:
earlier client-reported PHQ-9 and GAD-7 scores and an alliance rating, then today's answers with
PHQ-9 item 9 above 0 and a lower alliance rating, so the home page shows an open client alert and
the review form a possible rupture."""

import datetime as dt

from clients.models import Client
from participation import services
from participation.models import ClientLink
from plans.models import MeasureDefinition
from progress import services as progress_services
from progress.models import MeasureScore

EARLIER_PHQ9 = [2, 2, 1, 2, 1, 1, 1, 0, 0]
EARLIER_GAD7 = [2, 1, 1, 2, 1, 1, 0]
TODAY_PHQ9 = [2, 2, 2, 2, 1, 2, 1, 1, 1]  # item 9 at 1: the alert
TODAY_GAD7 = [2, 2, 1, 2, 1, 1, 1]


def build_client_answers(client: Client) -> None:
    """Once per client: skipped when the client already has a link."""
    if ClientLink.objects.filter(client=client).exists() or client.date_of_birth is None:
        return
    clinician = client.primary_clinician
    earlier = client.practice.today() - dt.timedelta(days=42)
    for code, items in (("phq9", EARLIER_PHQ9), ("gad7", EARLIER_GAD7)):
        progress_services.record_measure(
            actor=clinician,
            client=client,
            definition=MeasureDefinition.objects.get(code=code, practice__isnull=True),
            recorded_on=earlier,
            items=items,
            source=MeasureScore.Source.CLIENT,
        )
    progress_services.record_client_alliance(
        actor=clinician, client=client, bond=5, goals=4, tasks=4, recorded_on=earlier, comment=""
    )
    link, _ = services.create_link(
        actor=clinician,
        client=client,
        purpose=ClientLink.Purpose.QUESTIONNAIRES,
        delivery=ClientLink.Delivery.HAND,
        measure_codes=["phq9", "gad7", "alliance"],
    )
    services.submit_questionnaires(
        link=link,
        answers={"phq9": TODAY_PHQ9, "gad7": TODAY_GAD7},
        alliance=services.AllianceAnswer(
            bond=3, goals=4, tasks=3, comment="Last week I felt you were in a hurry to end the session."
        ),
    )
