"""Complete, synthetic demo plans for the demo clients (used by seed_demo)."""

import datetime as dt

from clients.models import Client
from formulation import services as formulation_services
from formulation.models import ConflictType, DefenseMechanism
from plans.editor import services
from plans.lifecycle import transitions
from plans.models import Goal, InterventionTechnique, MeasureDefinition, Objective, PlanTemplate
from progress.services import record_measure

# Per chart number: template, formulation text, conflicts, defenses, interventions. All invented.
PROFILES = {
    "D-1001": {
        "state": "active",
        "scores": {
            "phq9": [
                (16, [2, 3, 2, 2, 2, 2, 1, 1, 0]),
                (10, [2, 2, 2, 2, 1, 2, 1, 1, 0]),
                (4, [1, 2, 1, 2, 1, 1, 1, 1, 0]),
            ]
        },
        "template": "Depression (psychodynamic)",
        # Goals and objectives in the client's words, by their statement; the third objective is
        # left in the clinical wording, so the demo shows the editor's hint and the client version's mix.
        "clients_words": {
            "Reduce reliance on maladaptive defenses": "Stop shutting my feelings away",
            "Reduce repression and avoidance of painful feelings": "Let myself feel things, not push them down",
            "Identify and express repressed anger or grief": "Say it out loud when I am angry or sad about the job",
        },
        "formulation": {
            "development": {
                "childhood_experiences": "Grew up with a father often away for work and a mother who was depressed "
                "for long stretches; learned early to keep needs quiet.",
                "attachment_pattern": "avoidant",
                "significant_relationships": "Close to an older sister who left home early.",
                "losses": "Recent loss of a job held for nine years.",
            },
            "relational": {
                "ccrt_wish": "To be valued and looked after without having to ask.",
                "ccrt_response_of_other": "Others are busy and do not notice.",
                "ccrt_response_of_self": "Withdraws, feels worthless, works harder.",
            },
            "transference": {
                "transference": "Apologises for taking up session time; expects the therapist to tire of them.",
                "countertransference": "A pull to reassure and to do the work for the client.",
                "resistance": "Arrives late after sessions where anger came close.",
            },
            "strengths": {"strengths": "Conscientious, reflective, keeps appointments, supportive sister."},
            "narrative": {
                "narrative_hypothesis": "The job loss revived an early experience of being overlooked. Anger at "
                "being discarded is turned against the self as worthlessness, kept out of awareness by "
                "isolation of affect, and maintained by withdrawal that confirms that nobody notices.",
            },
        },
        "conflicts": [("self-worth", "very_significant", "passive", "Feels worthless when not productive.")],
        "defenses": [
            ("Isolation of affect", "Describes the job loss in flat detail."),
            ("Repression", "Cannot recall feeling angry at any point since the loss."),
        ],
        "interventions": [
            ("Defense analysis", "weekly 50-minute sessions", "Make the function of isolation visible."),
            ("Interpretation of transference", "as it arises", "Link expectations of the therapist to early care."),
        ],
    },
    "D-1002": {
        "state": "draft",
        "template": "Anxiety with relationship difficulties",
        "formulation": {
            "relational": {
                "ccrt_wish": "To be close and sure the other will stay.",
                "ccrt_response_of_other": "Will leave once they see the real me.",
                "ccrt_response_of_self": "Clings, seeks reassurance, then pushes the partner away.",
            },
            "narrative": {
                "narrative_hypothesis": "Inconsistent early care left closeness feeling dangerous. Anxiety rises "
                "as intimacy grows, and reassurance seeking provokes the rejection that is feared.",
            },
            "strengths": {"strengths": "Warm, insightful about others, motivated."},
        },
        "conflicts": [("individuation-dependency", "significant", "active", "Oscillates between clinging and flight.")],
        "defenses": [("Idealization", "New partners are perfect until the first disappointment.")],
        "interventions": [("Clarification", "weekly", "Map the sequence of each relationship episode.")],
    },
    "D-1003": {
        "state": "in_review",
        "template": "Psychodynamic core",
        "formulation": {
            "development": {
                "losses": "Mother died in January 2026 after a short illness.",
                "attachment_pattern": "anxious",
            },
            "narrative": {
                "narrative_hypothesis": "Grief is blocked by guilt about an argument before the death; anger is "
                "displaced onto family and friends.",
            },
        },
        "conflicts": [("guilt", "significant", "active", "Blames self for the last argument.")],
        "defenses": [("Displacement", "Anger at the mother's death is directed at siblings.")],
        "interventions": [("Working through", "weekly", "Revisit the loss as the client can bear it.")],
    },
    "D-1004": {
        "state": "draft",
        "template": "Psychodynamic core",
        "formulation": {
            "narrative": {
                "narrative_hypothesis": "Love felt conditional on achievement; a harsh internal critic keeps "
                "failure, and the feared loss of love, at bay.",
            },
        },
        "conflicts": [("self-worth", "significant", "active", "Worth rests on flawless performance.")],
        "defenses": [("Reaction formation", "Effusive praise of a rival colleague.")],
        "interventions": [("Confrontation", "as needed", "Gently name the gap between standards and reality.")],
    },
    "D-1005": {
        "state": "active",
        "scores": {"phq9": [(6, [1, 1, 1, 0, 0, 1, 1, 0, 0])]},
        "template": "Psychodynamic core",
        "formulation": {
            "development": {
                "childhood_experiences": "Feelings were not spoken about at home.",
                "attachment_pattern": "avoidant",
            },
            "narrative": {"narrative_hypothesis": "Emotional detachment protects against a fear of dependence."},
        },
        "conflicts": [("care-self-sufficiency", "significant", "passive", "Insists on needing no one.")],
        "defenses": [("Intellectualization", "Explains feelings in theoretical terms.")],
        "interventions": [("Supportive techniques", "weekly", "Build safety for feeling in the room.")],
    },
    "O-2001": {
        "state": "active",
        "scores": {"gad7": [(8, [3, 2, 2, 2, 2, 1, 3]), (2, [2, 2, 1, 2, 1, 1, 2])]},
        "template": "Anxiety with relationship difficulties",
        "formulation": {"narrative": {"narrative_hypothesis": "Panic condenses fears of separation."}},
        "conflicts": [("individuation-dependency", "significant", "passive", "Fears being alone on journeys.")],
        "defenses": [("Denial", "Insists the attacks are purely physical.")],
        "interventions": [("Cognitive behavioural therapy (CBT)", "weekly, 8 sessions", "Interoceptive exposure.")],
    },
}


def build_demo_plan(client: Client) -> None:
    """Give `client` a complete draft plan, unless they already have one."""
    profile = PROFILES.get(client.chart_number)
    if profile is None or client.plans.exists():
        return
    author = client.primary_clinician
    practice_id = client.practice_id
    plan = services.start_plan(
        actor=author,
        client=client,
        start_date=dt.date(2026, 10, 1),
        presenting_problems=list(client.presenting_problems.all()),
        template=PlanTemplate.objects.available_to(practice_id).get(name=profile["template"]),
    )
    formulation = plan.formulation
    for section, values in profile["formulation"].items():
        formulation = formulation_services.save_formulation_section(
            actor=author, formulation=formulation, section=section, expected_version=0, values=values
        )
    conflicts = [
        formulation_services.add_conflict(
            actor=author,
            formulation=formulation,
            conflict_type=ConflictType.objects.available_to(practice_id).get(code=code),
            intensity=intensity,
            mode=mode,
            description=description,
        )
        for code, intensity, mode, description in profile["conflicts"]
    ]
    defenses = [
        formulation_services.add_defense(
            actor=author,
            formulation=formulation,
            mechanism=DefenseMechanism.objects.available_to(practice_id).get(name=name),
            evidence=evidence,
        )
        for name, evidence in profile["defenses"]
    ]
    objectives = list(Objective.objects.filter(goal__plan=plan).order_by("goal__order", "order"))
    # Thread every objective to the formulation, alternating conflicts and defenses.
    for index, objective in enumerate(objectives):
        services.update_item(
            actor=author,
            item=objective,
            expected_version=objective.version,
            values={
                "conflicts": [conflicts[index % len(conflicts)]] if index % 2 == 0 else [],
                "defenses": [defenses[index % len(defenses)]] if index % 2 == 1 else [],
                "presenting_problems": list(objective.presenting_problems.all()),
                "addresses_relational_pattern": formulation.has_relational_pattern and index == 0,
            },
        )
    for index, (name, frequency, rationale) in enumerate(profile["interventions"]):
        served = objectives[index :: len(profile["interventions"])]
        services.add_intervention(
            actor=author,
            plan=plan,
            technique=InterventionTechnique.objects.available_to(practice_id).get(name=name),
            objectives=served,
            frequency=frequency,
            rationale=rationale,
        )
    _write_clients_words(plan, author, profile.get("clients_words", {}))
    if profile["state"] in ("active", "in_review"):
        # Active for clinicians who sign alone; in review for the trainee.
        transitions.submit_plan(actor=author, plan=plan)
    _record_demo_scores(client, author, profile.get("scores", {}))


def _write_clients_words(plan, author, words: dict[str, str]) -> None:
    """The goals and objectives named (by statement) said in the client's words, as the editor writes them."""
    items = [*Goal.objects.filter(plan=plan), *Objective.objects.filter(goal__plan=plan)]
    for item in items:
        if item.statement in words:
            services.update_item(
                actor=author, item=item, expected_version=item.version, values={"clients_words": words[item.statement]}
            )


def _record_demo_scores(client: Client, author, scores: dict) -> None:
    """A few synthetic past scores per measure, oldest first, so the charts have a story."""
    today = client.practice.today()
    for code, series in scores.items():
        definition = MeasureDefinition.objects.available_to(client.practice_id).get(code=code)
        for weeks_ago, items in series:
            record_measure(
                actor=author,
                client=client,
                definition=definition,
                recorded_on=today - dt.timedelta(weeks=weeks_ago),
                items=items,
            )
