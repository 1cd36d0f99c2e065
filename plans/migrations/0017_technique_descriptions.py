"""What each built-in intervention technique is and when it fits, for the library and the editor.

Fills only empty texts, so a description written since (or by a later migration) is kept.
"""

from django.db import migrations, models

# name -> (what it is, when it fits)
DESCRIPTIONS = {
    "Free association": (
        "The client is invited to say whatever comes to mind, as it comes, without selecting or censoring. "
        "The therapist listens for links, shifts and what is left out, treating the sequence of thoughts "
        "as meaningful.",
        "Suits clients who can tolerate unstructured exploration, in phases of work aimed at insight into "
        "unconscious patterns. Less suited to acute crisis, severe disorganisation or times when containment "
        "comes first.",
    ),
    "Dream analysis": (
        "The client's dreams, and their associations to each part of a dream, are explored to reach wishes, "
        "fears and conflicts that are hard to put into words directly. A dream is understood in the light of "
        "current life and of the therapy relationship.",
        "Fits when the client brings dreams or recurring nightmares and can reflect on them with curiosity. "
        "After trauma, nightmares may need stabilisation before they are explored for meaning.",
    ),
    "Interpretation of transference": (
        "The therapist names how feelings, expectations and patterns from earlier relationships are being "
        "lived out toward the therapist, here and now. It links what happens in the session to the client's "
        "core relational pattern.",
        "Fits once the alliance is established and the pattern has shown itself in the relationship more than "
        "once, or when a transference reaction threatens the work (withdrawal, a rupture, idealisation). "
        "Offered tentatively, timed to the client's capacity to reflect.",
    ),
    "Analysis of resistance": (
        "The therapist notices, without judgement, the ways the client keeps painful material at a distance "
        "in therapy, such as lateness, changing the subject, silence or arguing with the plan, and explores "
        "with the client what these protect against.",
        "Fits when the work feels stuck, sessions are missed or a topic is repeatedly avoided. The resistance "
        "is approached before its content and respected as a form of protection.",
    ),
    "Defense analysis": (
        "Client and therapist identify the defenses the client relies on (for example intellectualisation, "
        "projection or denial), the feelings they guard against and what they cost. The aim is awareness of "
        "the defense and more flexible, more adaptive ways of coping.",
        "Fits when a defense can be observed in session and is linked to the presenting problem, especially "
        "when the plan tracks defensive functioning. Work from the surface inward; with fragile clients, "
        "strengthen defenses rather than take them apart.",
    ),
    "Clarification": (
        "The therapist asks questions and restates what the client has said so that vague or confusing "
        "material becomes clearer and more precise. It stays close to the client's conscious experience and "
        "adds no new meaning.",
        "Fits at every phase and often comes first, preparing the ground for confrontation and interpretation. "
        "Useful when an account is vague, contradictory or told without feeling.",
    ),
    "Confrontation": (
        "The therapist tactfully draws the client's attention to something they have not noticed or keep "
        "apart, such as a contradiction between words and feelings or a repeated pattern. It points to what "
        "can be observed, without yet explaining why.",
        "Fits once the material has been clarified and the alliance can bear it. Used sparingly, and with "
        "warmth, with clients who are easily shamed or feel criticised.",
    ),
    "Interpretation": (
        "The therapist offers a hypothesis about unconscious meaning, linking present feelings or behaviour "
        "to wishes, fears, defenses or past experience. It is put forward tentatively, for the client to test "
        "against their own experience.",
        "Fits when the client is close to the material and able to reflect on it; timing and dose matter as "
        "much as accuracy. Prepared by clarification and confrontation, and held back in crisis or while the "
        "alliance is strained.",
    ),
    "Working through": (
        "The repeated exploration of the same conflicts and patterns across different situations and over "
        "time, until insight becomes lasting change in feeling and behaviour. It includes bearing the grief "
        "and anxiety that change brings.",
        "Fits in the middle and later phases, once the core themes have been recognised, and with losses or "
        "traumas that no single insight resolves. Old patterns are expected to return; their return is "
        "material for the work, not failure.",
    ),
    "Countertransference monitoring": (
        "The therapist attends to their own feelings, impulses and reactions toward the client and reflects "
        "on what these may show about the client's inner world and relational pattern. It informs "
        "understanding and is not disclosed to the client by default.",
        "Fits throughout, and especially with strong or unusual reactions (boredom, wishes to rescue, "
        "irritation) and with clients whose patterns are enacted rather than told. A regular topic for "
        "supervision; the reflections themselves stay out of the shared record.",
    ),
    "Supportive techniques": (
        "Interventions that strengthen the client's coping and sense of self: empathic validation, "
        "encouragement, advice and psychoeducation, reality testing and recognition of adaptive steps. They "
        "reinforce healthier defenses rather than explore them.",
        "Fits in crisis, with fragile or highly distressed clients, early in therapy while the alliance forms, "
        "and alongside exploratory work when anxiety runs too high. Often combined with expressive techniques "
        "in a supportive-expressive approach.",
    ),
    "Cognitive behavioural therapy (CBT)": (
        "A structured, time-limited approach that identifies and tests unhelpful thoughts and beliefs and "
        "changes behaviour through exercises and practice between sessions. Here it is an integrated modality "
        "used alongside the psychodynamic work.",
        "Fits specific symptom targets such as panic, phobias, obsessive-compulsive symptoms or insomnia, "
        "where skills bring relief. Agree with the client how it sits beside the exploratory work.",
    ),
    "EMDR": (
        "Eye movement desensitisation and reprocessing: a structured protocol in which the client holds a "
        "distressing memory in mind while attending to bilateral stimulation, so that its emotional charge "
        "lessens and it can be reprocessed.",
        "Fits specific traumatic memories that keep intruding, once the client can stay within a tolerable "
        "range of arousal. Needs EMDR training, and stabilisation before processing.",
    ),
}


def add(apps, schema_editor):
    Technique = apps.get_model("plans", "InterventionTechnique")
    for technique in Technique.objects.filter(practice__isnull=True, name__in=DESCRIPTIONS):
        what_it_is, when_it_fits = DESCRIPTIONS[technique.name]
        technique.description = technique.description or what_it_is
        technique.when_it_fits = technique.when_it_fits or when_it_fits
        technique.save(update_fields=["description", "when_it_fits"])


class Migration(migrations.Migration):
    dependencies = [("plans", "0016_transition_content_when_changes_requested")]

    operations = [
        migrations.AddField(
            model_name="interventiontechnique",
            name="when_it_fits",
            field=models.TextField(
                blank=True,
                help_text="The clients, phases or problems it suits, and when to hold back.",
                max_length=1500,
                verbose_name="When it fits",
            ),
        ),
        migrations.AlterField(
            model_name="interventiontechnique",
            name="description",
            field=models.TextField(
                blank=True,
                help_text="The technique in two or three sentences.",
                max_length=1500,
                verbose_name="What it is",
            ),
        ),
        migrations.RunPython(add, migrations.RunPython.noop),
    ]
