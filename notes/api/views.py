"""`/api/v1/sessions/` (a session with its progress note nested) and `/api/v1/process-notes/`.

Sessions go through the caseload door like every clinical record: out of view is 404, in view but
not the client's clinician's is 403, and every write is a notes.services call. A signed note is 409
(NoteLocked) before If-Match is looked at, as a locked plan is (core/api/concurrency.py).

Process notes are stricter: this endpoint answers their author only. A supervisor the author shared
one with reads it on the web page, where the share is explained; here everyone else gets 404. A
listing names the notes without their text; the text is read one note at a time through
notes.services.read_process_note, which audits every read.
"""

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.api.reauth import SignerInputSerializer, signer_refusal
from core.api.concurrency import check_if_match
from core.api.errors import ErrorSerializer
from core.api.views import ScopedViewSet
from notes import services
from notes.api import serializers as s
from notes.models import NoteAddendum, NoteDefense, ProcessNote, ProgressNote, TherapySession


class NoteLocked(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This session's note is signed, so it cannot change: add an addendum instead."
    default_code = "note_locked"


LOCKED = OpenApiResponse(ErrorSerializer, description="The note is signed: corrections are addenda.")
NOTE_PARTS = ("objectives", "interventions", "conflicts", "defenses", "episodes")
NOTE_TEXTS = ("risk", "safety_plan", "what_happened", "plan_for_next_time")


def session_queryset():
    """Sessions with everything the nested read shows, in a fixed number of queries however many."""
    addenda = NoteAddendum.objects.select_related("signature")
    return TherapySession.objects.select_related("service_type", "note").prefetch_related(
        "note__objectives_worked",
        "note__interventions_used",
        "note__conflicts_active",
        Prefetch("note__defenses", queryset=NoteDefense.objects.select_related("mechanism")),
        "note__episodes",
        "note__signatures",
        Prefetch("note__addenda", queryset=addenda),
    )


def _note_values(note: ProgressNote | None) -> dict:
    """What the draft holds now, in save_note's terms: a PATCH changes only the parts it sends."""
    if note is None:
        return {}
    return {
        "objectives": [
            {"objective": row.objective_id, "evidence": row.evidence, "movement": row.movement}
            for row in note.objectives_worked.all()
        ],
        "interventions": [row.intervention_id for row in note.interventions_used.all()],
        "conflicts": [{"conflict": row.conflict_id, "intensity": row.intensity} for row in note.conflicts_active.all()],
        "defenses": [{"mechanism": row.mechanism_id, "count": row.count} for row in note.defenses.all()],
        "episodes": [
            {
                "other": row.other,
                "wish": row.wish,
                "response_of_other": row.response_of_other,
                "response_of_self": row.response_of_self,
            }
            for row in note.episodes.all()
        ],
        **{name: getattr(note, name) for name in NOTE_TEXTS},
    }


def _note_of(session: TherapySession) -> ProgressNote | None:
    try:
        return session.note
    except ProgressNote.DoesNotExist:
        return None


class SessionFilter(django_filters.FilterSet):
    class Meta:
        model = TherapySession
        fields = ["client", "plan", "attendance"]


@extend_schema_view(
    list=extend_schema(summary="Sessions in your view, newest first (?client=, ?plan=, ?attendance=)"),
    retrieve=extend_schema(summary="A session with its progress note, signature and addenda"),
)
class TherapySessionViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = s.TherapySessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["starts_at", "id"]
    ordering = ["-starts_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    if_match = {"partial_update": True, "sign": False, "addenda": False}
    etag_actions = {"retrieve", "create", "partial_update", "sign"}

    def base_queryset(self):
        return session_queryset()

    def handle_exception(self, exc):
        # The notes' lock is a PermissionDenied to the services (the web shows it as such); here it is
        # the API's 409, as a locked plan is. core.api sits below notes, so the view translates it.
        if isinstance(exc, services.NoteLockedError):
            exc = NoteLocked(str(exc) or None)
        return super().handle_exception(exc)

    def respond_session(self, session, *, code=status.HTTP_200_OK):
        return self.respond(session_queryset().get(pk=session.pk), code=code)

    def _for_change(self, *, if_match_required: bool, draft_only: bool = True):
        """404 out of view, 403 read-only, 409 signed (before If-Match), then 428/412."""
        session = self.get_object()
        if not self.can_edit(session):
            raise exceptions.PermissionDenied("You can read this session but not change it.")
        note = _note_of(session)
        if draft_only and note is not None and note.is_signed:
            raise NoteLocked()
        check_if_match(self.request, session, required=if_match_required)
        return session, note

    def _save_note(self, session, note, values: dict) -> None:
        merged = _note_values(note) | values
        try:
            services.save_note(
                actor=self.request.user,
                session=session,
                expected_version=note.version if note is not None else None,
                **merged,
            )
        except DjangoValidationError as error:
            if isinstance(error, services.StaleEditError) or not hasattr(error, "error_dict"):
                raise
            # The note is nested in the session: so are its field errors.
            raise exceptions.ValidationError({"note": error.message_dict}) from error

    @extend_schema(
        summary="Record a session on your caseload, optionally with its draft note",
        description="Recorded against the plan version in force. A session that did not take place "
        "carries a reason and no note.",
        request=s.SessionCreateSerializer,
        responses={201: s.TherapySessionSerializer},
    )
    def create(self, request):
        values = dict(self.validated(s.SessionCreateSerializer))
        note_values = values.pop("note", None)
        with transaction.atomic():
            session = services.record_session(actor=request.user, **values)
            if note_values is not None:
                self._save_note(session, None, note_values)
        return self.respond_session(session, code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a session and its draft note",
        description="Session fields and `note` are optional; within `note`, a part left out keeps what the "
        "draft holds. 409 once the note is signed.",
        request=s.SessionUpdateSerializer,
        responses={200: s.TherapySessionSerializer, 409: LOCKED},
    )
    def partial_update(self, request, pk=None):
        session, note = self._for_change(if_match_required=True)
        values = dict(self.validated(s.SessionUpdateSerializer, partial=True))
        note_values = values.pop("note", None)
        with transaction.atomic():
            if values:
                session = services.update_session(
                    actor=request.user, session=session, expected_version=session.version, changes=values
                )
            if note_values is not None:
                self._save_note(session, note, note_values)
        return self.respond_session(session)

    @extend_schema(
        summary="Sign the session's note as its author",
        description="From then on the note never changes; corrections are addenda. The body carries the "
        "signer's `password`, or `otp_code` for someone with two-factor sign-in.",
        request=SignerInputSerializer,
        responses={200: s.TherapySessionSerializer, 409: LOCKED},
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        session, note = self._for_change(if_match_required=False)
        if note is None:
            raise exceptions.ValidationError({"note": ["Write the note before signing it."]})
        refused = signer_refusal(self, request, act=f"note {note.pk} sign")
        if refused is not None:
            return refused
        services.sign_note(actor=request.user, note=note, expected_version=note.version)
        return self.respond_session(session)

    @extend_schema(
        methods=["GET"],
        summary="The addenda of the session's signed note, oldest first",
        responses={200: s.NoteAddendumSerializer(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a dated, signed addendum to the session's signed note",
        request=s.AddendumInputSerializer,
        responses={201: s.NoteAddendumSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def addenda(self, request, pk=None):
        if request.method == "GET":
            note = _note_of(self.get_object())
            rows = list(note.addenda.all()) if note is not None else []
            return Response(s.NoteAddendumSerializer(rows, many=True, context=self.get_serializer_context()).data)
        session, note = self._for_change(if_match_required=False, draft_only=False)
        values = self.validated(s.AddendumInputSerializer)
        if note is None:
            raise exceptions.ValidationError({"non_field_errors": ["This session has no note to add to."]})
        refused = signer_refusal(self, request, act=f"note {note.pk} addendum")
        if refused is not None:
            return refused
        addendum = services.add_addendum(actor=request.user, note=note, text=values["text"])
        addendum = NoteAddendum.objects.select_related("signature").get(pk=addendum.pk)
        data = s.NoteAddendumSerializer(addendum, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)


# --- Private process notes ----------------------------------------------------------


class ProcessNoteFilter(django_filters.FilterSet):
    class Meta:
        model = ProcessNote
        fields = ["client", "session"]


@extend_schema_view(
    list=extend_schema(summary="Your own process notes, without their text (?client=, ?session=)"),
)
class ProcessNoteViewSet(mixins.ListModelMixin, ScopedViewSet):
    serializer_class = s.ProcessNoteSerializer
    filterset_class = ProcessNoteFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    if_match = {"partial_update": True}
    etag_actions = {"retrieve", "create", "partial_update"}

    def base_queryset(self):
        return ProcessNote.objects.all()

    def get_queryset(self):
        # The author only: the share with a supervisor is for the web page, not for the API.
        user = self.request.user
        return ProcessNote.objects.visible_to(user).filter(author_id=user.pk)

    def get_serializer_class(self):
        return s.ProcessNoteSummarySerializer if self.action == "list" else s.ProcessNoteSerializer

    @extend_schema(summary="One of your process notes, with its text (the read is audited)")
    def retrieve(self, request, *args, **kwargs):
        note = self.get_object()
        return self.respond(services.read_process_note(reader=request.user, note_id=note.pk))

    @extend_schema(
        summary="Write a process note on a client of your caseload",
        request=s.ProcessNoteCreateSerializer,
        responses={201: s.ProcessNoteSerializer},
    )
    def create(self, request):
        values = self.validated(s.ProcessNoteCreateSerializer)
        note = services.write_process_note(actor=request.user, **values)
        return self.respond(note, code=status.HTTP_201_CREATED)

    @extend_schema(summary="Change the text of one of your process notes", request=s.ProcessNoteUpdateSerializer)
    def partial_update(self, request, pk=None):
        note = self.fetch_for_change()
        values = self.validated(s.ProcessNoteUpdateSerializer)
        note = services.update_process_note(
            actor=request.user, note=note, expected_version=note.version, text=values["text"]
        )
        return self.respond(note)

    @extend_schema(
        summary="Withdraw one of your process notes from everyone's view (it is kept, never deleted)",
        request=None,
        responses={204: None},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        note = self.fetch_for_change(if_match_required=False)
        services.withdraw_process_note(actor=request.user, note=note)
        return self.respond_no_content()
