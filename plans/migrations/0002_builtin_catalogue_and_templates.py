"""Built-in intervention techniques and the starting template library."""

from django.db import migrations

TECHNIQUES = [
    ("Free association", "psychodynamic"),
    ("Dream analysis", "psychodynamic"),
    ("Interpretation of transference", "psychodynamic"),
    ("Analysis of resistance", "psychodynamic"),
    ("Defense analysis", "psychodynamic"),
    ("Clarification", "psychodynamic"),
    ("Confrontation", "psychodynamic"),
    ("Interpretation", "psychodynamic"),
    ("Working through", "psychodynamic"),
    ("Countertransference monitoring", "psychodynamic"),
    ("Supportive techniques", "psychodynamic"),
    ("Cognitive behavioural therapy (CBT)", "integrated"),
    ("EMDR", "integrated"),
]

# (template name, description, [(goal, [(objective, measure, target, months)])])
TEMPLATES = [
    (
        "Psychodynamic core",
        "The three broad goals of psychodynamic work, with starter objectives.",
        [
            (
                "Increase self-awareness",
                [
                    ("Identify recurring patterns in relationships", "Patterns named by the client in session, noted in process notes", "Names at least 2 recurring patterns in their own words", 3),
                    ("Recognize the function of defense mechanisms", "Instances where the client notices a defense in the moment", "Notices and names a defense in at least 3 sessions", 4),
                    ("Connect past experiences to present emotions and behaviour", "Links made by the client between early experience and current reactions", "Describes 2 such links unprompted", 6),
                ],
            ),
            (
                "Improve interpersonal relationships",
                [
                    ("Practise healthier communication and conflict resolution", "Self-report log of conflicts and how they were handled", "Resolves 3 of 4 logged conflicts without withdrawal or escalation", 4),
                    ("Explore and modify maladaptive relational patterns", "CCRT episodes reviewed in session", "Identifies an alternative response of self in 2 episodes", 6),
                    ("Increase empathy for others' perspectives", "Client's account of another person's view in discussed episodes", "Describes the other's perspective in most episodes discussed", 6),
                ],
            ),
            (
                "Resolve unconscious conflicts",
                [
                    ("Bring repressed memories and emotions to awareness", "Emotions named in session that were previously avoided", "Names and tolerates previously avoided affect in session", 6),
                    ("Work through unresolved grief and trauma", "Client's report and observed capacity to discuss the loss", "Discusses the loss with affect and without shutting down", 9),
                    ("Integrate disowned parts of the self", "Recognition of disowned feelings or traits as their own", "Acknowledges a disowned part of the self in session", 9),
                ],
            ),
        ],
    ),
    (
        "Depression (psychodynamic)",
        "Reducing maladaptive defenses and connecting repressed affect to mood.",
        [
            (
                "Reduce reliance on maladaptive defenses",
                [
                    ("Reduce repression and avoidance of painful feelings", "Avoidance episodes noted in a weekly log", "Avoidance reported on fewer than 2 days a week", 4),
                    ("Identify and express repressed anger or grief", "Sessions where anger or grief is expressed directly", "Expresses anger or grief directly in at least 4 sessions", 4),
                    ("Connect repressed feelings to current mood", "PHQ-9 total and the client's own account of mood shifts", "PHQ-9 total below 10", 6),
                ],
            ),
        ],
    ),
    (
        "Anxiety with relationship difficulties",
        "Insight into the unconscious patterns that feed anxiety in relationships.",
        [
            (
                "Increase insight into patterns feeding anxiety in relationships",
                [
                    ("Identify recurring themes in conflicts", "Themes named across discussed relationship episodes", "Names 2 recurring themes", 3),
                    ("Explore early experiences with caregivers", "Links between caregiver experiences and current fears", "Describes a link between early experience and present anxiety", 6),
                    ("Recognize defenses used to avoid intimacy", "Moments of withdrawal noticed by the client", "Notices withdrawal as it happens in 3 episodes", 4),
                    ("Reduce anxiety symptoms", "GAD-7 total", "GAD-7 total below 10", 6),
                ],
            ),
        ],
    ),
]


def add(apps, schema_editor):
    Technique = apps.get_model("plans", "InterventionTechnique")
    PlanTemplate = apps.get_model("plans", "PlanTemplate")
    GoalTemplate = apps.get_model("plans", "GoalTemplate")
    ObjectiveTemplate = apps.get_model("plans", "ObjectiveTemplate")
    for name, kind in TECHNIQUES:
        Technique.objects.update_or_create(practice=None, name=name, defaults={"kind": kind})
    for name, description, goals in TEMPLATES:
        template, created = PlanTemplate.objects.get_or_create(practice=None, name=name, defaults={"description": description})
        if not created:
            continue
        for g_order, (goal, objectives) in enumerate(goals):
            goal_template = GoalTemplate.objects.create(template=template, statement=goal, order=g_order)
            for o_order, (statement, measure, target, months) in enumerate(objectives):
                ObjectiveTemplate.objects.create(
                    goal=goal_template, statement=statement, measure=measure, target=target,
                    months_to_target=months, order=o_order,
                )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
