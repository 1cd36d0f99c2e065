"""The session and note pages: record a session from the client page, write its note, sign it and
add addenda, all in place through htmx; and the private process notes. Every write goes through
notes.services; these views parse, fetch through the door and render.

Outside view is a 404 (the door), in view but not yours a 403 (get_editable_or_403, and the
services' own PermissionDenied for a session that is not the actor's own).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.access import can_edit, get_editable_or_403, get_visible_or_404
from accounts.forms import SignerForm
from clients.models import Client
from core.editing import errors_to_form
from core.errors import StaleEditError
from core.idempotency import once_per_form
from core.params import int_param
from notes import selectors, services
from notes.forms import AddendumForm, NoteForm, ProcessNoteForm, SessionEditForm, SessionForm, ShareForm
from notes.models import NoteSignature, ProcessNote, ProcessNoteShare, ProgressNote, TherapySession

HISTORY_ON_CLIENT_PAGE = 10
# A page of the history; older pages are reached by keyset ("Older sessions"), so each costs the same.
SESSIONS_PER_PAGE = 25
WORK_AREA = "#session-work"


def _sessions():
    return TherapySession.objects.select_related("client__practice", "service_type", "clinician", "plan")


def _note_with_parts(session: TherapySession) -> ProgressNote | None:
    return (
        ProgressNote.objects.filter(session_id=session.pk)
        .select_related("author")
        .prefetch_related(
            "objectives_worked__objective",
            "interventions_used__intervention__technique",
            "conflicts_active__conflict__conflict_type",
            "defenses__mechanism",
            "episodes",
            Prefetch("addenda__signature"),
            Prefetch("signatures", queryset=NoteSignature.objects.of_note(), to_attr="note_signatures"),
        )
        .first()
    )


def _may_write(user, session: TherapySession) -> bool:
    return session.clinician_id == user.pk and can_edit(user, session)


def _history_context(user, client: Client, limit: int | None = HISTORY_ON_CLIENT_PAGE) -> dict:
    sessions = selectors.client_sessions(user, client.pk)
    if limit is None:
        return {"client": client}
    rows = list(sessions[: limit + 1])
    return {
        "client": client,
        "rows": selectors.session_rows(rows[:limit]),
        "more": len(rows) > limit,
    }


def client_sessions_part(*, user, client: Client, can_edit: bool) -> dict:
    """The "Sessions" part of the client page (registered in notes/apps.py)."""
    return {**_history_context(user, client), "can_record": can_edit and client.is_active}


def plan_sessions_part(*, user, plan, page, today) -> dict:
    """The plan page's "Last sessions" part (registered in notes/apps.py)."""
    return {"rows": selectors.session_rows(selectors.plan_sessions_since(user, plan)), "client_id": plan.client_id}


def _panel_context(request, session: TherapySession, *, form=None, **extra) -> dict:
    note = _note_with_parts(session) if session.took_place else None
    writable = _may_write(request.user, session)
    context = {
        "session": session,
        "note": note,
        "can_write": writable,
        "signature": (note.note_signatures[0] if note is not None and note.note_signatures else None),
        "state": selectors.note_state(session, note, now=timezone.now()),
        # "Save mine over theirs" saves as an autosave does: the answer updates the version and status only.
        "save_url": reverse("notes:note_save", args=[session.pk]) + "?autosave=1",
        "process_notes_url": reverse("notes:process_notes", args=[session.client_id]) if writable else None,
        **extra,
    }
    if writable and session.took_place and (note is None or note.is_editable):
        context["form"] = form or NoteForm(choices=selectors.note_choices(session), note=note)
    if writable and note is not None and note.is_signed:
        context["can_add_addendum"] = True
    return context


def _panel(request, session: TherapySession, *, status: int = 200, history: bool = False, **extra):
    """The session's panel, swapped in place through htmx; without htmx (no script) the whole
    session page, so the form still works."""
    context = _panel_context(request, session, **extra)
    if not request.htmx:
        return render(request, "notes/session_detail.html", context, status=status)
    if history:
        context["history"] = _history_context(request.user, session.client)
    return render(request, "notes/_session_panel.html", context, status=status)


# --- Sessions -----------------------------------------------------------------------


@login_required
def session_list(request, client_pk: int):
    client = get_visible_or_404(Client.objects.select_related("practice"), request.user, pk=client_pk)
    page = selectors.session_page(
        request.user,
        client.pk,
        before=int_param(request.GET.get("before"), name="before"),
        size=SESSIONS_PER_PAGE,
    )
    return render(request, "notes/session_list.html", {"client": client, "page": page, "rows": page.rows})


@login_required
@once_per_form
def session_record(request, client_pk: int):
    client = get_editable_or_403(Client.objects.select_related("practice"), request.user, pk=client_pk)
    if not client.is_active:
        raise PermissionDenied("This client has been discharged.")
    form = SessionForm(
        request.POST or None,
        practice_id=client.practice_id,
        initial={"date": timezone.localdate(timezone=client.practice.tzinfo)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.record_session(actor=request.user, client=client, **form.cleaned_data)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            if not request.htmx:
                return redirect("notes:session_detail", session_pk=session.pk)
            response = _panel(request, session, history=True, just_recorded=True)
            # Retargeting tells the once-per-form guard the form went through (a resend replays this).
            response["HX-Retarget"] = WORK_AREA
            response["HX-Reswap"] = "innerHTML"
            return response
    template = "notes/_session_form.html" if request.htmx else "notes/session_form.html"
    return render(request, template, {"form": form, "client": client})


@login_required
def session_detail(request, session_pk: int):
    session = get_visible_or_404(_sessions(), request.user, pk=session_pk)
    return render(request, "notes/session_detail.html", _panel_context(request, session))


def _writable_session(request, session_pk: int) -> TherapySession:
    session = get_editable_or_403(_sessions(), request.user, pk=session_pk)
    if session.clinician_id != request.user.pk:
        raise PermissionDenied(services.NOT_YOURS)
    return session


def _as_recorded(session: TherapySession) -> dict:
    local = session.local_starts_at
    return {
        "date": local.date(),
        "start_time": local.time(),
        "duration_minutes": session.duration_minutes,
        "modality": session.modality,
        "attendance": session.attendance,
        "service_type": session.service_type_id,
        "reason": session.reason,
        "version": session.version,
    }


@login_required
@once_per_form
def session_edit(request, session_pk: int):
    """Correct a session as recorded (a wrong date, a no-show entered as attended) while its note is
    not signed. Once signed, the session is part of the record: corrections are addenda."""
    session = _writable_session(request, session_pk)
    note = ProgressNote.objects.filter(session_id=session.pk).first()
    locked = note is not None and note.is_signed
    form = SessionEditForm(request.POST or None, practice_id=session.client.practice_id, initial=_as_recorded(session))
    conflict, status = None, 200
    if locked:
        status = 409 if request.method == "POST" else 200
    elif request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.SESSION_CHANGES}
        try:
            services.update_session(
                actor=request.user, session=session, expected_version=form.cleaned_data["version"], changes=changes
            )
        except StaleEditError as exc:
            conflict = exc.current
            form.add_error(None, exc)
            status = 409
        except services.NoteLockedError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, "Session details saved.")
            return redirect("notes:session_detail", session_pk=session.pk)
    return render(
        request,
        "notes/session_edit.html",
        {"form": form, "session": session, "conflict": conflict, "locked": locked},
        status=status,
    )


@login_required
@require_POST
def note_save(request, session_pk: int):
    """Save the draft (explicitly, or `?autosave=1` while typing, which answers with the save status
    only so the text being typed is never replaced). A stale save keeps the text and shows theirs."""
    session = _writable_session(request, session_pk)
    if not session.took_place:
        raise PermissionDenied("A session that did not take place has no progress note.")
    note = _note_with_parts(session)
    if note is not None and note.is_signed:
        return _panel(request, session, status=409, locked=True)
    autosave = request.GET.get("autosave") == "1"
    form = NoteForm(request.POST, choices=selectors.note_choices(session), note=note)
    conflict = None
    saved = None
    if form.is_valid():
        try:
            saved = _save_draft(request, session, form, note)
        except StaleEditError as exc:
            conflict = exc.current
            form.add_error(None, "Someone else saved this note after you opened it. Your text is still here.")
        except services.NoteLockedError:
            return _panel(request, session, status=409, locked=True)
        except ValidationError as exc:
            form.add_service_errors(exc)
    if autosave:
        response = render(request, "includes/save_status.html", _save_status(form, saved, conflict, session))
        if saved is not None:
            # The whole form was valid, so the errors an earlier save showed on it no longer hold (app.js).
            response["HX-Trigger"] = "psyplan:saved-clean"
        return response
    if saved is not None and request.GET.get("then") == "sign":
        # "Review and sign": what was on screen is saved first, and the step shows it as saved.
        step = reverse("notes:note_sign", args=[session.pk])
        if request.htmx:
            response = HttpResponse()
            response["HX-Redirect"] = step
            return response
        return redirect(step)
    if saved is not None:
        return _panel(request, session, saved_at=timezone.now())
    return _panel(request, session, form=form, conflict=conflict, conflict_fields=_theirs(conflict), status=200)


def _save_draft(request, session: TherapySession, form: NoteForm, note: ProgressNote | None) -> ProgressNote:
    return services.save_note(
        actor=request.user, session=session, expected_version=_expected(request, form, note), **form.note_values()
    )


def _expected(request, form, note) -> int | None:
    override = int_param(request.POST.get("overwrite_version"), name="overwrite_version")
    if override:
        return override
    version = form.cleaned_data.get("version")
    # A form opened before the note existed carries no version; if a note was written meanwhile,
    # version 1 is what it was when first written, so another save in between is still caught.
    return version if version else (1 if note is not None else None)


def _theirs(conflict: ProgressNote | None) -> list[tuple[str, str]] | None:
    if conflict is None:
        return None
    return [
        ("Risk check", conflict.get_risk_display()),
        ("Safety plan", conflict.safety_plan),
        ("What happened", conflict.what_happened),
        ("Plan for next time", conflict.plan_for_next_time),
    ]


def _save_status(form, saved, conflict, session) -> dict:
    return {
        "section": "note",
        "saved_at": timezone.now() if saved is not None else None,
        "version": saved.version if saved is not None else None,
        "save_url": reverse("notes:note_save", args=[session.pk]) + "?autosave=1",
        "conflict": conflict,
        "current_version": conflict.version if conflict is not None else None,
        "conflict_fields": _theirs(conflict),
        "errors": None if saved is not None or conflict is not None else _error_lines(form),
    }


def _error_lines(form) -> list[str]:
    lines = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        lines += [f"{label}: {e}" if label else e for e in errors]
    return lines


# --- The review steps of a note's signature and an addendum's ------------------------------
# As for a plan (plans/lifecycle/views.py): GET shows what is signed and what the signature means,
# POST takes the signer's password or code again (accounts/reauth.py) and only then signs.

STALE_NOTE = (
    "Someone saved this note after you opened this page, so it was not signed. Check it again below, then sign."
)


def _posted_version(request) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@login_required
@once_per_form
def note_sign(request, session_pk: int):
    """The review step of the note's signature: the note as saved, signed only as shown."""
    session = _writable_session(request, session_pk)
    note = _note_with_parts(session)
    if note is None:
        messages.error(request, "Write the note before signing it.")
        return redirect("notes:session_detail", session_pk=session.pk)
    if note.is_signed:
        # Signed already (a second click, a resend): show the signed note, change nothing.
        messages.info(request, "This note is signed and can no longer change. Add an addendum instead.")
        return redirect("notes:session_detail", session_pk=session.pk)
    signer_form = SignerForm(
        request.POST if request.method == "POST" else None, user=request.user, act=f"note {note.pk} sign"
    )
    if request.method == "POST" and signer_form.is_valid():
        version = _posted_version(request)
        try:
            if version is None:
                raise StaleEditError(note)
            services.sign_note(actor=request.user, note=note, expected_version=version)
        except StaleEditError:
            signer_form.add_error(None, STALE_NOTE)
            note = _note_with_parts(session)
        except services.NoteLockedError:
            messages.info(request, "This note is signed and can no longer change. Add an addendum instead.")
            return redirect("notes:session_detail", session_pk=session.pk)
        except ValidationError as exc:
            signer_form.add_error(None, "Not signed: " + " ".join(exc.messages) + " Edit the note, then sign.")
        else:
            messages.success(request, "Note signed.")
            return redirect("notes:session_detail", session_pk=session.pk)
    return render(
        request,
        "notes/note_sign.html",
        {"session": session, "note": note, "signer_form": signer_form, "meaning": "authored", "button": "Sign note"},
    )


@login_required
@once_per_form
def note_addendum(request, session_pk: int):
    """Write an addendum and sign it in one step: the text being signed is on the form."""
    session = _writable_session(request, session_pk)
    note = _note_with_parts(session)
    if note is None or not note.is_signed:
        raise PermissionDenied("Addenda are for signed notes; edit the draft instead.")
    posted = request.POST if request.method == "POST" else None
    form = AddendumForm(posted)
    signer_form = SignerForm(posted, user=request.user, act=f"note {note.pk} addendum")
    # The password is asked only of a complete addendum, so a missing text costs no attempt.
    if posted is not None and form.is_valid() and signer_form.is_valid():
        try:
            services.add_addendum(actor=request.user, note=note, text=form.cleaned_data["text"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, "Addendum signed.")
            return redirect("notes:session_detail", session_pk=session.pk)
    return render(
        request,
        "notes/addendum_sign.html",
        {
            "session": session,
            "note": note,
            "signature": note.note_signatures[0] if note.note_signatures else None,
            "form": form,
            "signer_form": signer_form,
            "meaning": "addendum authored",
            "button": "Sign addendum",
        },
    )


# --- Private process notes ------------------------------------------------------------


def _author_client(request, client_pk: int) -> Client:
    """The client whose process notes the author works on: in view (else 404) and on their own
    caseload (else 403)."""
    return get_editable_or_403(Client.objects.select_related("practice"), request.user, pk=client_pk)


@login_required
@once_per_form
def process_notes(request, client_pk: int):
    """The author's own private notes on a client, and the form to write one."""
    client = _author_client(request, client_pk)
    sessions = list(
        TherapySession.objects.editable_by(request.user)
        .filter(client_id=client.pk, clinician=request.user)
        .select_related("service_type")[:20]
    )
    initial_session = int_param(request.GET.get("session"), name="session")
    form = ProcessNoteForm(request.POST or None, sessions=sessions, initial={"session": initial_session})
    if request.method == "POST" and form.is_valid():
        session = next((s for s in sessions if s.pk == form.cleaned_data["session"]), None)
        try:
            note = services.write_process_note(
                actor=request.user, client=client, text=form.cleaned_data["text"], session=session
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, "Private note saved.")
            return redirect("notes:process_note", process_note_pk=note.pk)
    notes = (
        ProcessNote.objects.visible_to(request.user)
        .filter(client=client, author=request.user)
        .select_related("session__service_type")
        .prefetch_related(
            Prefetch("shares", queryset=ProcessNoteShare.objects.standing().select_related("shared_with"))
        )
    )
    return render(request, "notes/process_notes.html", {"client": client, "form": form, "notes": notes})


def _read(request, process_note_pk: int) -> ProcessNote:
    try:
        return services.read_process_note(reader=request.user, note_id=process_note_pk)
    except ProcessNote.DoesNotExist as exc:
        raise Http404("No such note.") from exc


@login_required
def process_note(request, process_note_pk: int):
    """One private note, for its author or the supervisor it was shared with; every read is logged
    (services.read_process_note), and anyone else gets a 404."""
    note = _read(request, process_note_pk)
    is_author = note.author_id == request.user.pk
    context = {"note": note, "is_author": is_author}
    if is_author:
        context["shares"] = note.shares.standing().select_related("shared_with")
        context["share_form"] = ShareForm(supervisors=policy.current_supervisors(request.user, note.client.practice_id))
    return render(request, "notes/process_note.html", context)


def _authored(request, process_note_pk: int) -> ProcessNote:
    note = (
        ProcessNote.objects.visible_to(request.user)
        .select_related("client__practice")
        .filter(pk=process_note_pk)
        .first()
    )
    if note is None:
        raise Http404("No such note.")
    if note.author_id != request.user.pk:
        raise PermissionDenied("Only the note's author changes it.")
    return note


@login_required
@require_POST
def process_note_share(request, process_note_pk: int):
    note = _authored(request, process_note_pk)
    supervisors = policy.current_supervisors(request.user, note.client.practice_id)
    form = ShareForm(request.POST, supervisors=supervisors)
    if form.is_valid():
        supervisor = next(s for s in supervisors if s.pk == form.cleaned_data["supervisor"])
        try:
            services.share_process_note(actor=request.user, note=note, supervisor=supervisor)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Shared with {supervisor.printed_name} for supervision.")
    else:
        messages.error(request, "Choose one of your current supervisors.")
    return redirect("notes:process_note", process_note_pk=note.pk)


@login_required
@require_POST
def process_note_revoke(request, share_pk: int):
    share = (
        ProcessNoteShare.objects.filter(pk=share_pk, note__author=request.user, note__withdrawn_at__isnull=True)
        .select_related("note", "shared_with")
        .first()
    )
    if share is None:
        raise Http404("No such share.")
    services.revoke_process_note_share(actor=request.user, share=share)
    messages.success(request, f"{share.shared_with.printed_name} no longer reads this note.")
    return redirect("notes:process_note", process_note_pk=share.note_id)


@login_required
@require_POST
def process_note_withdraw(request, process_note_pk: int):
    note = _authored(request, process_note_pk)
    services.withdraw_process_note(actor=request.user, note=note)
    messages.success(request, "Private note withdrawn.")
    return redirect("notes:process_notes", client_pk=note.client_id)
