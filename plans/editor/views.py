"""The plan editor: one page, with goals, objectives, interventions and the
formulation edited inline through htmx. Every write goes through services."""

import json
import re
from collections.abc import Callable, Collection

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.access import can_edit, get_editable_or_403, get_visible_or_404
from audit import embedded
from clients.models import Client
from core import editing
from core.editing import errors_to_form, expected_version
from core.errors import StaleEditError
from core.fragments import CSRF_SLOT, SLOTS_CONTEXT, Fragments, fill_slots
from core.idempotency import once_per_form
from core.params import choice_param, int_param
from formulation import views as formulation_views
from formulation.forms import section_forms
from formulation.private import fields_hidden_from
from plans import page_parts, thread_flags
from plans.editor import fragments, services
from plans.editor.forms import GoalForm, InterventionForm, ObjectiveForm, PlanDetailsForm, PlanStartForm
from plans.editor.smart import by_field, check_objective
from plans.lifecycle import canonical, quotes
from plans.lifecycle.comments import anchor_choices
from plans.lifecycle.revision import since_changes_requested
from plans.models import Goal, Intervention, Objective, TreatmentPlan
from plans.selectors import (
    PlanPage,
    load_goal_part,
    load_objective_part,
    load_plan_page,
    open_plans_of,
    plan_queryset,
)

# The plan's own items; the formulation's conflicts and defenses have their editor in formulation.views.
ITEMS = {
    "goal": (Goal, GoalForm),
    "objective": (Objective, ObjectiveForm),
    "intervention": (Intervention, InterventionForm),
}


class KindConverter:
    """The plan's item kinds in the editor's URLs (the formulation's kinds share the path shape)."""

    regex = "|".join(ITEMS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def _plan_of(item) -> TreatmentPlan:
    return plan_queryset().get(pk=services.plan_id_of(item))


def _item_form(kind: str, plan: TreatmentPlan, data=None, instance=None):
    _, form_class = ITEMS[kind]
    kwargs = {}
    if kind in ("objective", "intervention"):
        kwargs["plan"] = plan
    initial = {"version": instance.version} if instance is not None else {}
    prefix = f"{kind}-{instance.pk if instance is not None else 'new'}"
    return form_class(data, instance=instance, initial=initial, prefix=prefix, **kwargs)


def _today(plan: TreatmentPlan):
    return plan.client.practice.today()


def _page_context(
    request,
    plan: TreatmentPlan,
    *,
    writable: bool | None = None,
    content_hash: str | None = None,
    may_comment: bool | None = None,
    hidden: Collection[str] | None = None,
    wanted: Callable[[PlanPage], list[str]] | None = None,
    only_goal: int | None = None,
    only_objective: Objective | None = None,
) -> dict:
    """What the plan page and its redrawn parts render from, with the keys of every cached fragment
    they may show (plans/editor/fragments.py) fetched at once. Pass `hidden` (the formulation fields
    the reader may not read) when the formulation sections are rendered too, and `wanted` (the keys
    of the fragments it shows, from the page) for an answer that redraws only a part of the page;
    `only_goal` for one that redraws that goal's frame alone (plans.selectors.load_goal_part),
    `only_objective` for one that redraws that objective and the golden thread (load_objective_part)."""
    if writable is None:
        writable = can_edit(request.user, plan)
    if may_comment is None:
        may_comment = policy.can(request.user, policy.Action.COMMENT, plan)
    editable = plan.is_editable and writable
    if plan.is_locked and content_hash is None:
        # A locked version's fragments are keyed by its content as the database holds it now.
        content_hash = canonical.content_hash(plan)
    if only_objective is not None:
        page = load_objective_part(plan, only_objective, today=_today(plan))
        flags = thread_flags.collect(plan, page.objectives)
    elif only_goal is not None:
        page = load_goal_part(plan, only_goal, today=_today(plan))
        flags = []  # no golden thread in that answer
    else:
        page = load_plan_page(plan, today=_today(plan), content_hash=content_hash)
        # What apps above plans flag in the golden thread (notes: objectives drifting since the last review).
        flags = thread_flags.collect(plan, page.objectives)
    # What the reader may comment on: a form at each part (plans/_inline_comments.html) and the
    # rest in the comments section. Empty for a reader who may not comment.
    anchors = anchor_choices(page) if may_comment else {}
    stamp = {"can_edit": editable, "content_hash": content_hash}
    keys = fragments.structure_keys(page, flags=flags, **stamp)
    keys += fragments.formulation_keys(page, **stamp)
    section_keys = fragments.section_keys(page, hidden=hidden, **stamp) if hidden is not None else {}
    form_keys = {here: fragments.comment_form_key(plan.pk, c) for here, c in anchors.items() if c.inline}
    if wanted is None:
        # The whole page: every fragment and comment form it may show, fetched at once.
        store = Fragments([*keys, *section_keys.values(), *form_keys.values()])
    else:
        # A part: its fragments now, the comment forms in its slots once it is rendered (_fill_comment_forms).
        store = Fragments(wanted(page))
    return {
        "plan": plan,
        "page": page,
        "can_edit": editable,
        "anchors": anchors,
        "goal_form": _item_form("goal", plan) if editable else None,
        "thread_flags": flags,
        "fragments": store,
        "section_keys": section_keys,
        "comment_form_keys": form_keys,
        # Fragments are shared by readers: each holds a slot where a comment form goes (_fill_comment_forms).
        "defer_comment_forms": True,
    }


def _finish(html: str, request, context: dict) -> str:
    """The comment forms filled in for this reader, and the fragments rendered anew stored at once."""
    html = _fill_comment_forms(html, request, context)
    context["fragments"].save()
    html = embedded.fill_stamp_slots(html, user_pk=request.user.pk)
    return fill_slots(html, csrf_token=get_token(request))


def _announcement(kind: str, item, done: str) -> dict:
    """What the page says after an add or a save ("Objective added"), and the item heading that takes focus."""
    return {"message": f"{kind.capitalize()} {done}", "focus": f"{kind}-{item.pk}-title"}


def _structure_response(request, plan: TreatmentPlan, *, announce: dict | None = None) -> HttpResponse:
    """The goals, interventions and golden thread, with the formulation items out of band; every
    item not changed since it was last rendered comes from the fragment cache."""
    context = _page_context(request, plan) | {"announce": announce}
    html = render_to_string("plans/_structure.html", context, request=request)
    html += render_to_string("formulation/_items.html", context | {"oob": True}, request=request)
    response = HttpResponse(_finish(html, request, context))
    response["HX-Retarget"] = "#plan-structure"
    response["HX-Reswap"] = "outerHTML"
    return response


# The root element of a rendered part: where it is marked to be swapped in out of band.
FIRST_TAG = re.compile(r"^(\s*<[a-z]+)")


def _out_of_band(html: str) -> str:
    """A rendered part (a cached fragment with its own id) marked for htmx to swap in by that id."""
    return FIRST_TAG.sub(r'\1 hx-swap-oob="true"', html, count=1)


def _goal_response(request, plan: TreatmentPlan, goal: Goal, *, announce: dict) -> HttpResponse:
    """After a save of a goal: that goal's frame in place of the old one (every objective from the
    fragment cache) and, out of band, the clients'-words count; the rest of the page shows nothing
    the save changed. A goal no longer on the page (removed meanwhile) gets the whole structure."""
    found = {}

    def wanted(page) -> list[str]:
        for index, (g, views) in enumerate(page.goals):
            if g.pk == goal.pk:
                found.update(goal=g, views=views, number=index + 1, first=index == 0)
                found["last"] = index == len(page.goals) - 1
        return [found["goal"].fragment_key, *(view.fragment_key for view in found["views"])] if found else []

    # Only that goal is read in full.
    context = _page_context(request, plan, wanted=wanted, only_goal=goal.pk)
    if not found:
        return _structure_response(request, plan, announce=announce)
    context |= {"announce": announce} | found
    html = render_to_string("plans/_goal_saved.html", context, request=request)
    response = HttpResponse(_finish(html, request, context))
    response["HX-Retarget"] = f"#goal-{goal.pk}"
    response["HX-Reswap"] = "outerHTML"
    return response


def _objective_response(request, plan: TreatmentPlan, objective: Objective, *, announce: dict) -> HttpResponse:
    """After a save of an objective: that objective in place of the old one and, out of band, what
    else shows the change: the golden thread, the interventions that serve it and the clients'-words
    count. Its goal's frame shows nothing of it but its fragment, which the page's next rendering
    takes from the cache (the frame's own key holds the objective's, so the frame is drawn anew).
    An objective no longer on the page (removed meanwhile) gets the whole structure."""
    found = {}

    def wanted(page) -> list[str]:
        for _, views in page.goals:
            for view in views:
                if view.objective.pk == objective.pk:
                    first, last = page.objective_place(view.objective)
                    found.update(view=view, first=first, last=last, serving=view.interventions)
        if not found:
            return []
        return [found["view"].fragment_key, page.thread_key, *(i.fragment_key for i in found["serving"])]

    context = _page_context(request, plan, wanted=wanted, only_objective=objective)
    if not found:
        return _structure_response(request, plan, announce=announce)
    context |= {"announce": announce} | found
    html = render_to_string("plans/_objective_saved.html", context, request=request)
    for i in found["serving"]:
        first, last = context["page"].intervention_place(i)
        part = {"i": i, "first": first, "last": last}
        html += _out_of_band(render_to_string("plans/_intervention.html", context | part, request=request))
    response = HttpResponse(_finish(html, request, context))
    response["HX-Retarget"] = f"#objective-{objective.pk}"
    response["HX-Reswap"] = "outerHTML"
    return response


def formulation_structure_response(request, plan_id: int) -> HttpResponse:
    """The plan page's answer after the formulation editor (formulation.views) changed one of its items."""
    return _structure_response(request, plan_queryset().get(pk=plan_id))


# The formulation editor redraws the plan page through these (registered in plans/apps.py).
FORMULATION_PAGE = formulation_views.PlanPage(
    structure_response=formulation_structure_response,
    structure_url=lambda plan_id: reverse("plans:structure", args=[plan_id]),
)


@login_required
@once_per_form
def plan_create(request, client_pk: int):
    client = get_editable_or_403(Client.objects.select_related("practice"), request.user, pk=client_pk)
    open_plans = open_plans_of(client, user=request.user)
    form = PlanStartForm(
        request.POST or None,
        client=client,
        open_plans=open_plans,
        initial={
            "start_date": client.practice.today(),
            "presenting_problems": client.presenting_problems.current(),
            # Back from a template's preview with that template chosen; the form offers only the
            # templates available to the client's practice, so another pk selects nothing.
            "template": int_param(request.GET.get("template"), name="template"),
        },
    )
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "separate_plan"}
        try:
            plan = services.start_plan(actor=request.user, client=client, **values)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, "Draft plan started. Changes save as you type.")
            return redirect("plans:detail", pk=plan.pk)
    return render(request, "plans/plan_start.html", {"form": form, "client": client, "open_plans": open_plans})


# Where a comment form goes in a cached fragment; filled in for each reader.
COMMENT_FORM_SLOT = re.compile(r"<!--comment-form:([a-z]+:[\w-]*)-->")


def _fill_comment_forms(html: str, request, context: dict) -> str:
    """Fragments are cached for every reader, so they hold a slot where a comment form goes; a
    reader who may comment gets the form there, with their own CSRF token and a fresh form id, and
    nobody else gets anything. The form itself is a cached fragment too, without token and id."""
    anchors = context["anchors"]
    if not anchors:
        return COMMENT_FORM_SLOT.sub("", html)
    store, form_keys = context["fragments"], context["comment_form_keys"]
    error = context.get("comment_error")
    token = get_token(request)
    store.fetch(form_keys[here] for here in COMMENT_FORM_SLOT.findall(html) if here in form_keys)

    def form(match) -> str:
        here = match.group(1)
        choice = anchors.get(here)
        if choice is None or not choice.inline:
            return ""
        values = {"plan": context["plan"], "here": here, "choice": choice}
        if error and error.get("anchor") == here:
            # A refused comment shown again: this reader's own text, never cached.
            values |= {"csrf_token": token, "comment_error": error}
            return render_to_string("plans/_comment_form.html", values)
        cached = store.get(form_keys[here])
        if cached is None:
            # Token and form id as slots, filled for this request with the rest of the page (_finish).
            cached = render_to_string(
                "plans/_comment_form.html", values | {"csrf_token": CSRF_SLOT, SLOTS_CONTEXT: True}
            )
            store.put(form_keys[here], cached)
        return cached

    return COMMENT_FORM_SLOT.sub(form, html)


@login_required
def plan_detail(request, pk: int):
    plan = get_visible_or_404(plan_queryset(), request.user, pk=pk)
    return plan_page(request, plan)


def plan_page(request, plan: TreatmentPlan, *, comment_error: dict | None = None, status: int = 200) -> HttpResponse:
    """The plan page; `comment_error` shows a refused comment again at its part of the plan
    (anchor, body, message), for a browser without htmx."""
    user = request.user
    writable = can_edit(user, plan)
    # Every signature checked against the content as the database holds it now: a locked version
    # (the one kind with signatures to check) in full whenever any of its rows changed since the last
    # full check (one query says), and read for that in this request.
    if plan.is_locked:
        verification = canonical.verify_locked(plan, read=lambda: canonical.read_content(plan))
    else:
        verification = canonical.verify(plan)
    is_author = plan.author_id == user.pk
    can_sign_off = not is_author and policy.can(user, policy.Action.APPROVE, plan)
    hidden = fields_hidden_from(user, plan)
    context = _page_context(
        request,
        plan,
        writable=writable,
        content_hash=verification.current_hash,
        may_comment=is_author or can_sign_off,
        hidden=hidden,
    )
    all_comments = list(plan.comments.select_related("author", "resolved_by"))
    rendered_now = verification.rendered.get(canonical.SCHEMA)
    context.update(
        {
            "verification": verification,
            "chart_number": quotes.chart_number(plan),
            "transitions": plan.transitions.select_related("actor"),
            "versions": TreatmentPlan.objects.visible_to(user).filter(lineage=plan.lineage).order_by("version_number"),
            "is_author": is_author,
            "can_sign_off": can_sign_off,
            "can_write_plan": writable,
            "needs_cosignature": policy.needs_cosignature(plan.author),
            "all_comments": all_comments,
            "comment_error": comment_error,
            # Shown to those in the sign-off round: the author and the supervisors.
            "since_changes": since_changes_requested(
                plan,
                comments=all_comments,
                content_now=json.loads(rendered_now) if rendered_now else None,
                leave_out=hidden,
            )
            if (is_author or can_sign_off)
            else None,
        }
    )
    context["open_comment_count"] = sum(1 for c in context["all_comments"] if not c.resolved_at)
    # What apps above plans show on the page (progress: the plan's reviews, measures and charts).
    today = _today(plan)
    parts, stamps = page_parts.fill_lazily(
        page_parts.PLAN_DETAIL, user=user, plan=plan, page=context["page"], today=today
    )
    context.update(parts)
    part_keys = {
        name: fragments.part_key(
            name,
            page=context["page"],
            writable=writable,
            today=today,
            content_hash=verification.current_hash,
            stamp=stamp,
        )
        for name, stamp in stamps.items()
    }
    context["fragments"].fetch(part_keys.values())
    # A part's forms and image stamps are slots in its fragment, filled for this request (_finish).
    context |= {"page_part_keys": part_keys, "csrf_slot": CSRF_SLOT}
    context["details_form"] = PlanDetailsForm(plan=plan) if context["can_edit"] else None
    context["section_forms"] = section_forms(plan.formulation, leave_out=hidden)
    context["offers_supervision_copy"] = policy.can(user, policy.Action.READ_SUPERVISION_COPY, plan)
    html = render_to_string("plans/plan_detail.html", context, request=request)
    return HttpResponse(_finish(html, request, context), status=status)


@login_required
@require_POST
def plan_details_save(request, pk: int):
    plan = get_editable_or_403(plan_queryset(), request.user, pk=pk)
    form = PlanDetailsForm(request.POST, plan=plan)
    if form.is_valid():
        try:
            services.update_plan_details(
                actor=request.user,
                plan=plan,
                expected_version=expected_version(request, form),
                **form.values(),
            )
        except StaleEditError as exc:
            form.add_error(None, exc)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, "Plan details saved.")
            return redirect("plans:detail", pk=plan.pk)
    context = _page_context(request, plan)
    return render(request, "plans/plan_details_form.html", context | {"details_form": form})


@login_required
@once_per_form
def item_add(request, pk: int, kind: str):
    plan = get_editable_or_403(plan_queryset(), request.user, pk=pk)
    if not plan.is_editable:
        raise PermissionDenied("This plan is no longer a draft: amend it to make changes.")
    goal = None
    if kind == "objective":
        goal_pk = int_param(request.GET.get("goal") or request.POST.get("goal"), name="goal", required=True)
        goal = get_object_or_404(plan.goals.current(), pk=goal_pk)
    form = _item_form(kind, plan, request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            if kind == "goal":
                added = services.add_goal(actor=request.user, plan=plan, **values)
            elif kind == "objective":
                added = services.add_objective(actor=request.user, goal=goal, **values)
            else:
                added = services.add_intervention(actor=request.user, plan=plan, **values)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            return _structure_response(request, plan, announce=_announcement(kind, added, "added"))
    return render(
        request, "plans/_item_form.html", {"form": form, "kind": kind, "plan": plan, "goal": goal, "item": None}
    )


def _editable_item(request, kind: str, item_pk: int):
    model, _ = ITEMS[kind]
    items = model.objects.current()
    if model is Objective:
        # The goal leads to the plan (plan_id_of) without a query of its own.
        items = items.select_related("goal")
    item = get_editable_or_403(items, request.user, pk=item_pk)
    return item, _plan_of(item)


@login_required
def item_edit(request, kind: str, item_pk: int):
    item, plan = _editable_item(request, kind, item_pk)
    if not plan.is_editable:
        raise PermissionDenied("This plan is no longer a draft: amend it to make changes.")
    form = _item_form(kind, plan, request.POST or None, instance=item)
    return editing.edit_item(
        request,
        kind=kind,
        item=item,
        form=form,
        save_url=reverse("plans:item_edit", args=[kind, item.pk]),
        update=lambda **change: services.update_item(actor=request.user, item=item, **change),
        saved=lambda: _saved_response(request, plan, item, kind),
        form_template="plans/_item_form.html",
        form_context=lambda **extra: {"form": form, "kind": kind, "plan": plan, **extra},
    )


def _saved_response(request, plan: TreatmentPlan, item, kind: str) -> HttpResponse:
    announce = _announcement(kind, item, "saved")
    if kind == "goal":
        return _goal_response(request, plan, item, announce=announce)
    if kind == "objective":
        return _objective_response(request, plan, item, announce=announce)
    # An intervention's links show in the objectives it serves, in any goal: the whole structure.
    return _structure_response(request, plan, announce=announce)


@login_required
def plan_structure(request, pk: int):
    """The structure as it stands, e.g. after cancelling an edit."""
    plan = get_visible_or_404(plan_queryset(), request.user, pk=pk)
    return _structure_response(request, plan)


@login_required
@require_POST
def item_remove(request, kind: str, item_pk: int):
    item, plan = _editable_item(request, kind, item_pk)
    services.remove_item(actor=request.user, item=item)
    # Its heading is gone: focus goes to the heading of the list it was in.
    section = "interventions-title" if kind == "intervention" else "goals-title"
    return _structure_response(request, plan, announce={"message": f"{kind.capitalize()} removed", "focus": section})


@login_required
@require_POST
def item_move(request, kind: str, item_pk: int, direction: str):
    direction = choice_param(direction, name="direction", choices=("up", "down"))
    item, plan = _editable_item(request, kind, item_pk)
    services.move_item(actor=request.user, item=item, direction=direction)
    return _structure_response(request, plan, announce=_announcement(kind, item, f"moved {direction}"))


@login_required
@require_POST
def smart_preview(request, pk: int):
    """SMART guidance for an objective as it is being typed, before it is saved."""
    plan = get_visible_or_404(plan_queryset(), request.user, pk=pk)
    prefix = request.POST.get("prefix", "objective-new")
    form = _item_form("objective", plan, request.POST)
    form.prefix = prefix
    form.is_valid()
    data = form.cleaned_data
    findings = check_objective(
        statement=request.POST.get(f"{prefix}-statement", ""),
        measure=request.POST.get(f"{prefix}-measure", ""),
        target=request.POST.get(f"{prefix}-target", ""),
        baseline=request.POST.get(f"{prefix}-baseline", ""),
        target_date=data.get("target_date"),
        has_goal=True,
        problem_count=len(request.POST.getlist(f"{prefix}-presenting_problems")),
        plan_start=plan.start_date,
        plan_horizon=plan.horizon_date,
        today=_today(plan),
    )
    # The summary goes where the request came from; each field's own guidance goes beside it (out of band).
    return render(
        request,
        "plans/_smart_live.html",
        {"findings": findings, "live": True, "prefix": prefix, "hints": by_field(findings)},
    )
