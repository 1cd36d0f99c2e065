"""Templates suggest interventions too, each serving some of the template's objectives.

The built-in templates get the techniques that fit their objectives; a plan started from a
template copies them (plans.editor.services.start_plan), as it copies goals and objectives.
"""

import django.db.models.deletion
from django.db import migrations, models

# template name -> [(technique, frequency, rationale, [objective statements it serves])]
SUGGESTIONS = {
    "Psychodynamic core": [
        (
            "Clarification",
            "each session",
            "Makes the client's accounts of relationships precise enough for patterns to be seen.",
            ["Identify recurring patterns in relationships", "Increase empathy for others' perspectives"],
        ),
        (
            "Defense analysis",
            "as defenses appear in session",
            "Builds awareness of what each defense protects against and what it costs.",
            ["Recognize the function of defense mechanisms", "Bring repressed memories and emotions to awareness"],
        ),
        (
            "Interpretation of transference",
            "when the pattern appears in the therapy relationship",
            "Links the relational pattern to what happens between client and therapist.",
            ["Explore and modify maladaptive relational patterns", "Connect past experiences to present emotions and behaviour"],
        ),
        (
            "Working through",
            "over the middle and later phases",
            "Turns insight into lasting change by returning to the core themes.",
            ["Work through unresolved grief and trauma", "Integrate disowned parts of the self",
             "Practise healthier communication and conflict resolution"],
        ),
    ],
    "Depression (psychodynamic)": [
        (
            "Supportive techniques",
            "each session, more while mood is low",
            "Steadies the client while painful feelings are approached.",
            ["Reduce repression and avoidance of painful feelings"],
        ),
        (
            "Defense analysis",
            "as avoidance appears in session",
            "Shows how repression and avoidance keep anger and grief out of reach.",
            ["Reduce repression and avoidance of painful feelings", "Identify and express repressed anger or grief"],
        ),
        (
            "Interpretation",
            "when the client is close to the feeling",
            "Connects the feelings kept away to the current low mood.",
            ["Connect repressed feelings to current mood"],
        ),
    ],
    "Anxiety with relationship difficulties": [
        (
            "Clarification",
            "each session",
            "Makes the anxious moments in relationships concrete enough to find their themes.",
            ["Identify recurring themes in conflicts"],
        ),
        (
            "Interpretation of transference",
            "when closeness in therapy stirs anxiety",
            "Uses the therapy relationship to see the fear of intimacy as it happens.",
            ["Explore early experiences with caregivers", "Recognize defenses used to avoid intimacy"],
        ),
        (
            "Supportive techniques",
            "while anxiety runs high",
            "Keeps anxiety within a range where exploration is possible.",
            ["Reduce anxiety symptoms"],
        ),
    ],
}


def add(apps, schema_editor):
    PlanTemplate = apps.get_model("plans", "PlanTemplate")
    Technique = apps.get_model("plans", "InterventionTechnique")
    InterventionTemplate = apps.get_model("plans", "InterventionTemplate")
    ObjectiveTemplate = apps.get_model("plans", "ObjectiveTemplate")
    for template_name, suggestions in SUGGESTIONS.items():
        template = PlanTemplate.objects.filter(practice__isnull=True, name=template_name).first()
        if template is None or InterventionTemplate.objects.filter(template=template).exists():
            continue
        for order, (technique_name, frequency, rationale, serves) in enumerate(suggestions):
            technique = Technique.objects.filter(practice__isnull=True, name=technique_name).first()
            if technique is None:
                continue
            suggestion = InterventionTemplate.objects.create(
                template=template, technique=technique, frequency=frequency, rationale=rationale, order=order
            )
            suggestion.objectives.set(
                ObjectiveTemplate.objects.filter(goal__template=template, statement__in=serves)
            )


class Migration(migrations.Migration):
    dependencies = [("plans", "0017_technique_descriptions")]

    operations = [
        migrations.CreateModel(
            name="InterventionTemplate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("frequency", models.CharField(blank=True, max_length=200)),
                ("rationale", models.TextField(blank=True, max_length=4000)),
                ("order", models.PositiveIntegerField(default=0)),
                (
                    "objectives",
                    models.ManyToManyField(blank=True, related_name="interventions", to="plans.objectivetemplate"),
                ),
                (
                    "technique",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to="plans.interventiontechnique"
                    ),
                ),
                (
                    "template",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="interventions", to="plans.plantemplate"
                    ),
                ),
            ],
            options={"ordering": ["order", "pk"]},
        ),
        migrations.RunPython(add, migrations.RunPython.noop),
    ]
