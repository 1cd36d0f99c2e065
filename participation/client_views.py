"""The client's pages under /c/<token>/: no account, a date-of-birth check, then the link's purpose.

Every request is counted per address and per link (participation/throttle.py) before anything
is looked up or shown. A token is looked up by its hash; an unknown one is a 404 like any other.
After the date of birth matches, the browser session holds that one link for a short while; a
page never shows anything of a client but the one whose link it is. Opening a valid link in a
browser where staff are signed in signs them out first ("hand to client" on the clinician's
tablet): the client must not be one tap away from the clinician's caseload.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from participation import services, throttle
from participation.forms import AgreeForm, BirthDateForm, DeclineForm, QuestionnaireForm
from participation.models import MAX_BIRTH_DATE_ATTEMPTS, ClientLink, hash_token
from plans.models import TreatmentPlan
from progress import measures
from records import client_version, pdf

SESSION_KEY = "client_link"
# How long a verified browser may use the link without asking again: long enough to answer.
VERIFIED_MINUTES = 30


def _page(request, template: str, link: ClientLink | None, status: int = 200, **context):
    response = render(request, template, {"link": link, "practice": link.client.practice if link else None, **context})
    response.status_code = status
    # A shared tablet or a proxy must not keep these pages, and the path (the token) must not leave in a
    # Referer to another site ("no-referrer" would make browsers send "Origin: null" with our own forms,
    # which CSRF refuses).
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


def client_page(view):
    """Throttle, find the link, sign staff out, and turn away links that no longer work."""

    @wraps(view)
    def wrapper(request, token: str, *args, **kwargs):
        if not throttle.address_allowed(request):
            return _page(request, "participation/client/too_many.html", None, status=429)
        if not throttle.link_allowed(hash_token(token)):
            return _page(request, "participation/client/too_many.html", None, status=429)
        link = services.find_link(token)
        if link is None:
            raise Http404("No such link.")
        if request.user.is_authenticated:
            logout(request)
        if link.status == ClientLink.Status.DONE and not _verified(request, link):
            return _page(request, "participation/client/done_already.html", link)
        if link.status != ClientLink.Status.DONE and not link.is_usable:
            return _page(request, "participation/client/ended.html", link, status=410)
        return view(request, link, token, *args, **kwargs)

    return wrapper


def _verified(request, link: ClientLink) -> bool:
    held = request.session.get(SESSION_KEY) or {}
    if held.get("id") != link.pk:
        return False
    until = dt.datetime.fromisoformat(held.get("until", "1970-01-01T00:00:00+00:00"))
    return timezone.now() < until


def _hold(request, link: ClientLink) -> None:
    # A new session key on verification: a session id planted before it cannot ride on it.
    request.session.cycle_key()
    until = timezone.now() + dt.timedelta(minutes=VERIFIED_MINUTES)
    request.session[SESSION_KEY] = {"id": link.pk, "until": until.isoformat()}
    request.session.set_expiry(VERIFIED_MINUTES * 60)


@require_http_methods(["GET", "POST"])
@client_page
def start(request, link: ClientLink, token: str):
    """The date-of-birth check, before anything else."""
    if _verified(request, link):
        return redirect("client_links:questionnaire", token=token)
    form = BirthDateForm(request.POST or None)
    if request.method == "GET":
        services.record_open(link=link, request=request)
    elif form.is_valid():
        if services.verify_birth_date(link=link, date_of_birth=form.cleaned_data["date_of_birth"], request=request):
            _hold(request, link)
            return redirect("client_links:questionnaire", token=token)
        link.refresh_from_db()
        if not link.is_usable:
            return _page(request, "participation/client/ended.html", link, status=410)
        left = MAX_BIRTH_DATE_ATTEMPTS - link.failed_attempts
        form.add_error(
            "date_of_birth",
            f"That date of birth does not match our records. {left} {'try' if left == 1 else 'tries'} left.",
        )
    return _page(request, "participation/client/birth_date.html", link, form=form)


@require_http_methods(["GET", "POST"])
@client_page
def questionnaire(request, link: ClientLink, token: str):
    if not _verified(request, link):
        return redirect("client_links:start", token=token)
    if link.purpose == ClientLink.Purpose.AGREEMENT:
        # The date-of-birth check leads here whatever the link is for.
        return redirect("client_links:agreement", token=token)
    if link.status == ClientLink.Status.DONE:
        return redirect("client_links:done", token=token)
    form = QuestionnaireForm(
        request.POST or None, definitions=services.definitions_for(link), alliance=services.asks_alliance(link)
    )
    if request.method == "POST" and form.is_valid():
        try:
            submitted = services.submit_questionnaires(
                link=link, answers=form.answers(), alliance=form.alliance_answer(), request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            request.session[SESSION_KEY] = {**request.session[SESSION_KEY], "at_risk": submitted.at_risk}
            return redirect("client_links:done", token=token)
    return _page(request, "participation/client/questionnaire.html", link, form=form, stem=measures.STEM)


@require_http_methods(["GET"])
@client_page
def done(request, link: ClientLink, token: str):
    """Thanks, and the practice's crisis text when the answers call for it."""
    if link.status != ClientLink.Status.DONE:
        return redirect("client_links:start", token=token)
    if link.purpose == ClientLink.Purpose.AGREEMENT:
        return redirect("client_links:agreement_done", token=token)
    at_risk = bool((request.session.get(SESSION_KEY) or {}).get("at_risk"))
    return _page(request, "participation/client/done.html", link, at_risk=at_risk)


# --- Agreement to a plan version --------------------------------------------------------------

ANSWER_AGREE = "agree"
ANSWER_DECLINE = "decline"


def _agreement_link(request, link: ClientLink, token: str):
    """None when the page may show the link's plan version; otherwise where to send the browser."""
    if link.purpose != ClientLink.Purpose.AGREEMENT or link.plan_id is None:
        raise Http404("No such page for this link.")
    if not _verified(request, link):
        return redirect("client_links:start", token=token)
    return None


@require_http_methods(["GET", "POST"])
@client_page
def agreement(request, link: ClientLink, token: str):
    """The plan version in plain words, its PDF, and the client's answer: agree by typing their
    name, or decline with an optional comment. Two forms, one page, no script."""
    elsewhere = _agreement_link(request, link, token)
    if elsewhere is not None:
        return elsewhere
    if link.status == ClientLink.Status.DONE:
        return redirect("client_links:agreement_done", token=token)
    plan = TreatmentPlan.objects.select_related("client__practice", "author").get(pk=link.plan_id)
    if plan.status != TreatmentPlan.Status.ACTIVE:
        return _page(request, "participation/client/not_current.html", link, status=410, message=services.NOT_CURRENT)
    answer = request.POST.get("answer") if request.method == "POST" else None
    agree_form = AgreeForm(request.POST if answer == ANSWER_AGREE else None)
    decline_form = DeclineForm(request.POST if answer == ANSWER_DECLINE else None)
    form = agree_form if answer == ANSWER_AGREE else decline_form if answer == ANSWER_DECLINE else None
    if form is not None and form.is_valid():
        try:
            if form is agree_form:
                services.agree_to_plan(link=link, typed_name=form.cleaned_data["typed_name"], request=request)
            else:
                services.decline_plan(link=link, comment=form.cleaned_data["comment"], request=request)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            return redirect("client_links:agreement_done", token=token)
    return _page(
        request,
        "participation/client/agreement.html",
        link,
        plan=plan,
        token=token,
        client_version=client_version.for_plan(plan),
        agree_form=agree_form,
        decline_form=decline_form,
    )


@require_http_methods(["GET"])
@client_page
def agreement_done(request, link: ClientLink, token: str):
    elsewhere = _agreement_link(request, link, token)
    if elsewhere is not None:
        return elsewhere
    if link.status != ClientLink.Status.DONE:
        return redirect("client_links:agreement", token=token)
    return _page(request, "participation/client/agreement_done.html", link, signature=link.signature, token=token)


@require_http_methods(["GET"])
@client_page
def agreement_pdf(request, link: ClientLink, token: str):
    """The client version PDF of the link's own plan version, and of no other."""
    elsewhere = _agreement_link(request, link, token)
    if elsewhere is not None:
        return elsewhere
    plan = TreatmentPlan.objects.select_related("client__practice", "author").get(pk=link.plan_id)
    rendered = pdf.render_pdf(plan, audience=pdf.Audience.CLIENT)
    services.record_pdf_download(link=link, request=request)
    response = HttpResponse(rendered.content, content_type="application/pdf")
    # Named by the version only: a file in a phone's downloads says nothing of whose plan it is.
    response["Content-Disposition"] = f'attachment; filename="treatment-plan-v{plan.version_number}.pdf"'
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Content-SHA256"] = rendered.sha256
    return response
