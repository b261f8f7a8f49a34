"""Learner pages: sign-up, dashboard, the exam player, the review screen, reports and answers.

Views are thin: validate a form, call one service or selector, render (a partial for htmx).
Reads live in `questions.selectors`, writes in `questions.services`. Every htmx control is
also a plain link or form, so each page works without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from questions.forms import (
    AnswerForm,
    FlagForm,
    MockExamForm,
    NavigationForm,
    PracticeSetForm,
    ProblemReportForm,
    ReviewFilterForm,
    SignUpForm,
    SubmitForm,
    choose_message,
    parse_id,
)
from questions.models import Attempt, AttemptQuestion, Question
from questions.selectors import (
    ReviewFilter,
    answer_review_allowed,
    answer_review_cards,
    attempt_for_learner,
    attempt_is_expired,
    attempt_item_for_answer,
    attempt_progress,
    attempt_report,
    attempt_review_screen,
    attempt_wrong_question_ids,
    certification_list_with_blueprints,
    certifications_for_practice,
    dashboard_for_learner,
    exam_page,
    question_for_report,
    review_report_card,
)
from questions.services import (
    AttemptClosed,
    NotEnoughQuestions,
    attempt_answer,
    attempt_flag,
    attempt_start_mock,
    attempt_start_practice,
    attempt_submit,
    learner_sign_up,
)
from questions.services.reports import question_report_file

TIME_UP = "Time is up: your exam was submitted automatically at its deadline."
CLOSED = "This attempt has been submitted; answers can no longer change."
FINISH_FIRST = "Your score report and the answers are ready once you submit this attempt."


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect the browser follows as a whole page, for htmx requests too."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _question_url(attempt: Attempt, position: int) -> str:
    return reverse("attempt_question", args=[attempt.pk, position])


def _report_url(attempt: Attempt) -> str:
    return reverse("attempt_report", args=[attempt.pk])


def _closed(request: HttpRequest, attempt: Attempt, error: AttemptClosed) -> HttpResponse:
    messages.error(request, str(error))
    return _redirect(request, _report_url(attempt))


def _submit_if_expired(request: HttpRequest, attempt: Attempt) -> HttpResponse | None:
    """Any GET of an attempt whose deadline has passed submits it, then shows the report."""
    if not attempt_is_expired(attempt):
        return None
    attempt_submit(attempt=attempt, auto=True)
    messages.warning(request, TIME_UP)
    return _redirect(request, _report_url(attempt))


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    if request.htmx:
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    return render(request, "questions/bad_request.html", {"message": message}, status=400)


# --- Home, accounts, dashboard -------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "questions/home.html", {"certifications": certification_list_with_blueprints()}
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = learner_sign_up(
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Your account is ready.")
        return redirect("dashboard")
    return render(
        request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200
    )


def _dashboard_context(
    request: HttpRequest,
    *,
    mock_form: MockExamForm | None = None,
    practice_form: PracticeSetForm | None = None,
) -> dict:
    dashboard = dashboard_for_learner(request.user)
    certifications = dashboard.certifications
    mock_forms, practice_forms = {}, {}
    for certification in certifications:
        code = certification.code
        bound_mock = mock_form if mock_form and mock_form["certification"].data == code else None
        bound_practice = (
            practice_form if practice_form and practice_form["certification"].data == code else None
        )
        mock_forms[code] = bound_mock or MockExamForm(
            certifications=certifications,
            initial={"certification": code},
            auto_id=f"mock-{code}-%s",
        )
        practice_forms[code] = bound_practice or PracticeSetForm(
            certifications=[certification],
            initial={
                "certification": code,
                "domains": [d.pk for d in certification.domains.all()],
            },
            auto_id=f"practice-{code}-%s",
        )
    return {
        "dashboard": dashboard,
        "exams": [(c, mock_forms[c.code], practice_forms[c.code]) for c in certifications],
    }


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "questions/dashboard.html", _dashboard_context(request))


@require_POST
@login_required
def start_mock(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("certification", "")
    form = MockExamForm(
        request.POST, certifications=certifications_for_practice(), auto_id=f"mock-{code}-%s"
    )
    if not form.is_valid():
        context = _dashboard_context(request, mock_form=form)
        return render(request, "questions/dashboard.html", context, status=400)
    try:
        attempt = attempt_start_mock(learner=request.user, **form.service_arguments())
    except NotEnoughQuestions as error:
        messages.error(
            request,
            f"{error} Try a practice set, or ask an instructor to publish more questions.",
        )
        return redirect("dashboard")
    return redirect(_question_url(attempt, 1))


@require_POST
@login_required
def start_practice(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("certification", "")
    form = PracticeSetForm(
        request.POST, certifications=certifications_for_practice(), auto_id=f"practice-{code}-%s"
    )
    if not form.is_valid():
        context = _dashboard_context(request, practice_form=form)
        return render(request, "questions/dashboard.html", context, status=400)
    arguments = form.service_arguments()
    try:
        attempt = attempt_start_practice(learner=request.user, **arguments)
    except NotEnoughQuestions:
        messages.error(
            request,
            "The question bank has no published questions for those domains yet. "
            "Choose other domains, or ask an instructor to publish more questions.",
        )
        return redirect("dashboard")
    if attempt.question_count < arguments["question_count"]:
        messages.info(
            request,
            f"The bank had {attempt.question_count} questions for those domains, "
            f"so this set has {attempt.question_count} instead of {arguments['question_count']}.",
        )
    return redirect(_question_url(attempt, 1))


# --- Exam player ---------------------------------------------------------------------------


@require_GET
@login_required
def attempt_resume(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = attempt_for_learner(request.user, attempt_id)
    if attempt.status == Attempt.Status.SUBMITTED:
        return redirect(_report_url(attempt))
    if expired := _submit_if_expired(request, attempt):
        return expired
    return redirect(_question_url(attempt, attempt.current_position))


def _render_question(
    request: HttpRequest, page, *, error: str | None = None, status: int = 200
) -> HttpResponse:
    context = {"page": page, "attempt": page.attempt, "error": error}
    if request.htmx:
        response = render(request, "questions/question.html#exam", context, status=status)
        return push_url(response, request.get_full_path() if status == 200 else False)
    return render(request, "questions/question.html", context, status=status)


@require_GET
@login_required
def attempt_question(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    attempt = attempt_for_learner(request.user, attempt_id)
    if attempt.status == Attempt.Status.SUBMITTED:
        if not 1 <= position <= attempt.question_count:
            raise Http404("No such question in this attempt.")
        url = reverse("attempt_answers", args=[attempt.pk]) + f"#q{position}"
        return _redirect(request, url)
    if expired := _submit_if_expired(request, attempt):
        return expired
    return _render_question(request, exam_page(attempt, position))


@require_POST
@login_required
def attempt_navigate(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    """The question form without JavaScript (and with it, for Previous/Next): save the answer,
    then go where the learner asked."""
    attempt = attempt_for_learner(request.user, attempt_id)
    item = attempt_item_for_answer(attempt, position)
    form = NavigationForm(request.POST, item=item, total=attempt.question_count)
    if not form.is_valid():
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        if form.tampered or set(form.errors) - {"choice", "__all__"}:
            return _bad_request(request, problems)
        if attempt.status != Attempt.Status.IN_PROGRESS:
            return _closed(request, attempt, AttemptClosed(CLOSED))
        if expired := _submit_if_expired(request, attempt):
            return expired
        shown = AnswerForm(request.POST)
        shown.is_valid()
        page = exam_page(attempt, position, shown_selection=shown.cleaned_data.get("choice", []))
        return _render_question(request, page, error=problems, status=422)
    try:
        attempt_answer(attempt=attempt, position=position, choice_ids=form.cleaned_data["choice"])
    except AttemptClosed as error:
        return _closed(request, attempt, error)
    except ValidationError as error:
        if error.code != "locked":
            return _bad_request(request, " ".join(error.messages))
        # The whole exam region: this form's htmx target is #exam, not the save status.
        page = exam_page(attempt, position)
        return _render_question(request, page, error="Not saved: " + error.messages[0], status=422)
    target = form.target()
    if target == "review":
        return _redirect(request, reverse("attempt_review", args=[attempt.pk]))
    return redirect(_question_url(attempt, target))


@require_POST
@login_required
def attempt_answer_save(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    """Save the answer the moment it is chosen (htmx); without JavaScript, back to the page."""
    attempt = attempt_for_learner(request.user, attempt_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        return _bad_request(request, form.errors["choice"][0])
    try:
        attempt_answer(attempt=attempt, position=position, choice_ids=form.cleaned_data["choice"])
    except AttemptClosed as error:
        return _closed(request, attempt, error)
    except AttemptQuestion.DoesNotExist:
        raise Http404("No such question in this attempt.") from None
    except ValidationError as error:
        return _answer_error(request, attempt, position, error)
    if not request.htmx:
        return redirect(_question_url(attempt, position))
    if attempt.instant_feedback:
        page = exam_page(attempt, position)
        context = {"page": page, "cell": page.cell, "progress": page.progress, "saved": True}
    else:
        progress, cell = attempt_progress(attempt, position=position)
        context = {"cell": cell, "progress": progress, "saved": True}
    context.update(attempt=attempt, oob=True)
    return render(request, "questions/question.html#answer_saved", context)


def _answer_error(
    request: HttpRequest, attempt: Attempt, position: int, error: ValidationError
) -> HttpResponse:
    """A refused answer: a wrong count or a checked answer is said where it shows; anything
    else (ids that are not this question's options) is a tampered post."""
    if error.code == "count":
        return _answer_refused(request, attempt, position)
    if error.code == "locked":
        return _answer_refused(request, attempt, position, "Not saved: " + error.messages[0])
    return _bad_request(request, " ".join(error.messages))


def _answer_refused(
    request: HttpRequest, attempt: Attempt, position: int, message: str = ""
) -> HttpResponse:
    """Nothing saved: say why where it shows (by default, more options ticked than it takes)."""
    if not message:
        item = attempt_item_for_answer(attempt, position)
        message = (
            "Not saved: " + choose_message(item.select_count)
            if item.kind == Question.Kind.MULTIPLE
            else "Not saved: choose one option."
        )
    if not request.htmx:
        messages.error(request, message)
        return redirect(_question_url(attempt, position))
    return render(
        request, "questions/question.html#save_status", {"status_error": message}, status=422
    )


@require_POST
@login_required
def attempt_flag_toggle(request: HttpRequest, attempt_id: int, position: int) -> HttpResponse:
    attempt = attempt_for_learner(request.user, attempt_id)
    form = FlagForm(request.POST)
    if not form.is_valid():
        return _bad_request(request, "Say whether to flag or unflag the question.")
    # Without JavaScript the flag button posts the whole question form: keep its ticks too
    # (with htmx the answer was saved the moment it was chosen). No ticks posted could mean a
    # bare flag request, so it never clears a saved answer.
    answer = None if request.htmx or "choice" not in request.POST else AnswerForm(request.POST)
    if answer is not None and not answer.is_valid():
        return _bad_request(request, answer.errors["choice"][0])
    try:
        item = attempt_flag(
            attempt=attempt,
            position=position,
            flagged=form.cleaned_data["flagged"],
            choice_ids=answer.cleaned_data["choice"] if answer is not None else None,
        )
    except AttemptClosed as error:
        return _closed(request, attempt, error)
    except AttemptQuestion.DoesNotExist:
        raise Http404("No such question in this attempt.") from None
    except ValidationError as error:
        return _answer_error(request, attempt, position, error)
    if not request.htmx:
        return redirect(_question_url(attempt, position))
    progress, cell = attempt_progress(attempt, position=position)
    context = {
        "attempt": attempt,
        "flag": {"position": position, "flagged": item.flagged},
        "cell": cell,
        "progress": progress,
        "oob": True,
    }
    return render(request, "questions/question.html#flag_saved", context)


# --- Review, submit --------------------------------------------------------------------------


def _before_submit_page(request: HttpRequest, attempt_id: int, template: str) -> HttpResponse:
    """A page of an attempt still running: the report once submitted (or once time is up)."""
    attempt = attempt_for_learner(request.user, attempt_id)
    if attempt.status == Attempt.Status.SUBMITTED:
        return redirect(_report_url(attempt))
    if expired := _submit_if_expired(request, attempt):
        return expired
    return render(request, template, {"screen": attempt_review_screen(attempt)})


@require_GET
@login_required
def attempt_review(request: HttpRequest, attempt_id: int) -> HttpResponse:
    return _before_submit_page(request, attempt_id, "questions/review.html")


@require_GET
@login_required
def attempt_finish(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The confirmation step before submitting (a page, so it works without JavaScript)."""
    return _before_submit_page(request, attempt_id, "questions/finish.html")


@require_POST
@login_required
def attempt_submit_view(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = attempt_for_learner(request.user, attempt_id)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Confirm that you want to submit.")
        return redirect("attempt_finish", attempt.pk)
    expired = attempt_is_expired(attempt)
    was_open = attempt.status == Attempt.Status.IN_PROGRESS
    attempt_submit(attempt=attempt, auto=expired)
    if expired:
        messages.warning(request, TIME_UP)
    elif was_open:
        messages.success(request, "Submitted. Here is your score report.")
    return redirect(_report_url(attempt))


# --- Report, answers, retry --------------------------------------------------------------------


@require_GET
@login_required
def attempt_report_view(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = attempt_for_learner(request.user, attempt_id)
    if expired := _submit_if_expired(request, attempt):
        return expired
    if attempt.status != Attempt.Status.SUBMITTED:
        messages.info(request, FINISH_FIRST)
        return redirect(_question_url(attempt, attempt.current_position))
    return render(request, "questions/report.html", {"report": attempt_report(attempt)})


@require_GET
@login_required
def attempt_answers(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = attempt_for_learner(request.user, attempt_id)
    if expired := _submit_if_expired(request, attempt):
        return expired
    if not answer_review_allowed(attempt):
        messages.info(request, FINISH_FIRST)
        return redirect(_question_url(attempt, attempt.current_position))
    form = ReviewFilterForm(request.GET)
    show = (form.is_valid() and form.cleaned_data["show"]) or ReviewFilter.ALL
    page = answer_review_cards(
        user=request.user,
        attempt=attempt,
        show=show,
        report_form=ProblemReportForm.for_review(show=show),
    )
    return render(request, "questions/answers.html", {"review": page.review, "cards": page.cards})


def _answers_url(attempt: Attempt, show: str, position: int) -> str:
    query = f"?show={show}" if show != ReviewFilter.ALL else ""
    return reverse("attempt_answers", args=[attempt.pk]) + f"{query}#q{position}"


def _posted_position(request: HttpRequest) -> int | None:
    return parse_id(request.POST.get("position", ""))


@require_POST
@login_required
def attempt_problem_report(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """Report a problem with a question of the answer review: htmx swaps the card's report
    region; without JavaScript, back to the question on the review page with a message (or
    the page again with the form's errors)."""
    attempt = attempt_for_learner(request.user, attempt_id)
    form = ProblemReportForm(request.POST, position=_posted_position(request))
    valid = form.is_valid()
    if form.tampered:
        return _bad_request(request, "That question cannot be reported from this page.")
    position = form.cleaned_data["position"]
    show = form.cleaned_data["show"] or ReviewFilter.ALL
    question = question_for_report(attempt, position)
    if question is None:
        return _bad_request(
            request, "That question is not part of this attempt, or its answer is not shown yet."
        )
    report = error = None
    if valid:
        try:
            report = question_report_file(
                question=question,
                reporter=request.user,
                attempt=attempt,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
    if request.htmx:
        card = review_report_card(
            user=request.user, attempt=attempt, position=position, report_form=lambda _: form
        )
        context = {"attempt": attempt, "card": card, "position": position, "report_error": error}
        status = 200 if report is not None else 422
        return render(request, "questions/answers.html#report_form", context, status=status)
    if not valid:
        page = answer_review_cards(
            user=request.user,
            attempt=attempt,
            show=show,
            report_form=ProblemReportForm.for_review(show=show, bound=form),
        )
        context = {"review": page.review, "cards": page.cards}
        return render(request, "questions/answers.html", context, status=400)
    if report is not None:
        messages.success(
            request,
            f"Question {position} reported: {report.get_reason_display()}. "
            "Thanks, an instructor will review it.",
        )
    else:
        messages.error(request, error)
    return redirect(_answers_url(attempt, show, position))


@require_POST
@login_required
def attempt_retry_wrong(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """A new instant-feedback practice set of the questions this attempt got wrong."""
    attempt = attempt_for_learner(request.user, attempt_id)
    question_ids = attempt_wrong_question_ids(attempt)
    if not question_ids:
        messages.info(request, "There is nothing to retry: no wrong answers in this attempt.")
        return redirect("attempt_answers", attempt.pk)
    try:
        retry = attempt_start_practice(
            learner=request.user,
            certification=attempt.certification,
            question_ids=question_ids,
            instant_feedback=True,
        )
    except NotEnoughQuestions:
        messages.error(request, "Those questions have since been retired from the bank.")
        return redirect("attempt_answers", attempt.pk)
    return redirect(_question_url(retry, 1))
