"""Admin: import and export of the question bank (YAML), with a dry-run summary first.

Import takes two steps. The upload is parsed and imported as a dry run, and the summary lists
new, changed, unchanged and invalid questions. The file's text then waits in the session under
its SHA-256; the confirmation posts only that digest, so step 2 imports exactly the text that
was previewed, never text sent back by the browser. Both steps go through
`questions.services.bank_files.bank_text_import`, as the `import_bank` command does.

Export writes the whole bank, the change list's current filter and search, or the selected
questions (an admin action) in the same format as `export_bank`.
"""

from __future__ import annotations

import hashlib

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from questions.bank import dump_bank_text
from questions.bank_export import bank_entries_all, bank_entries_for
from questions.models import Question
from questions.services.bank_files import BankTextReport, bank_text_import

SESSION_KEY = "questions_bank_import"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # the whole committed bank is under 3 MB
IMPORT_PERMISSIONS = ("questions.add_question", "questions.change_question")


class BankUploadForm(forms.Form):
    bank_file = forms.FileField(
        label="Bank file",
        help_text="A YAML file in the question bank format, as “Export YAML” writes it.",
        widget=forms.ClearableFileInput(attrs={"accept": ".yaml,.yml,application/yaml"}),
    )

    def clean_bank_file(self) -> str:
        upload = self.cleaned_data["bank_file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.", code="size"
            )
        try:
            return b"".join(upload.chunks()).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read).",
                code="encoding",
            ) from exc


class BankConfirmForm(forms.Form):
    digest = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _file_name(upload_name: str) -> str:
    return upload_name.replace("\\", "/").rsplit("/", 1)[-1][:200] or "bank.yaml"


def _require_import_permission(request: HttpRequest) -> None:
    if not request.user.has_perms(IMPORT_PERMISSIONS):
        raise PermissionDenied


def _context(model_admin, request: HttpRequest, title: str, **extra) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": Question._meta,
        "title": title,
        **extra,
    }


def _render_form(model_admin, request: HttpRequest, form: BankUploadForm) -> HttpResponse:
    return render(
        request,
        "admin/questions/question/import.html",
        _context(model_admin, request, "Import questions from YAML", form=form),
        status=400 if form.errors else 200,
    )


def _render_summary(
    model_admin, request: HttpRequest, *, report: BankTextReport, file_name: str, digest: str = ""
) -> HttpResponse:
    return render(
        request,
        "admin/questions/question/import_summary.html",
        _context(
            model_admin,
            request,
            f"Import {file_name}: summary",
            report=report,
            file_name=file_name,
            confirm_form=BankConfirmForm(initial={"digest": digest}) if digest else None,
        ),
        status=200 if report.ok else 422,
    )


def import_form_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    _require_import_permission(request)
    return _render_form(model_admin, request, BankUploadForm())


def import_preview_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    """Step 1: parse the upload and import it as a dry run; keep the text for step 2."""
    _require_import_permission(request)
    form = BankUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_form(model_admin, request, form)
    text = form.cleaned_data["bank_file"]
    file_name = _file_name(request.FILES["bank_file"].name)
    report = bank_text_import(text=text, dry_run=True, changed_by=request.user)
    digest = ""
    if report.ok and report.to_write:
        digest = _digest(text)
        request.session[SESSION_KEY] = {"digest": digest, "name": file_name, "text": text}
    else:
        request.session.pop(SESSION_KEY, None)
    return _render_summary(model_admin, request, report=report, file_name=file_name, digest=digest)


def import_confirm_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    """Step 2: import the previewed text for real (all or nothing)."""
    _require_import_permission(request)
    form = BankConfirmForm(request.POST)
    pending = request.session.get(SESSION_KEY) or {}
    if (
        not form.is_valid()
        or pending.get("digest") != form.cleaned_data["digest"]
        or _digest(pending.get("text", "")) != pending["digest"]
    ):
        messages.error(
            request,
            "This import is no longer waiting (it was done, replaced by another upload, or "
            "the session ended). Nothing was written: upload the file again.",
        )
        return redirect("admin:questions_question_import")
    report = bank_text_import(text=pending["text"], dry_run=False, changed_by=request.user)
    del request.session[SESSION_KEY]
    if not report.ok:
        # The bank or catalog changed since the preview and the file no longer fits.
        return _render_summary(model_admin, request, report=report, file_name=pending["name"])
    messages.success(request, f"Imported {pending['name']}: {report.summary()}.")
    return redirect("admin:questions_question_changelist")


def _entries_of(questions: QuerySet) -> list:
    # Only the ids: the admin's queryset may join or prefetch for its columns.
    return bank_entries_for(questions.select_related(None).prefetch_related(None).only("pk"))


def _download(entries: list) -> HttpResponse:
    name = f"question-bank-{timezone.localdate():%Y%m%d}.yaml"
    return HttpResponse(
        dump_bank_text(entries),
        content_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def export_view(request: HttpRequest, *, model_admin) -> HttpResponse:
    """The whole bank, or (with the change list's query string) the questions it shows."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    if not request.GET:
        return _download(bank_entries_all())
    try:
        questions = model_admin.get_changelist_instance(request).queryset
    except IncorrectLookupParameters:
        messages.error(request, "That filter is not valid: nothing was exported.")
        return redirect("admin:questions_question_changelist")
    return _download(_entries_of(questions))


def export_selected_as_yaml(model_admin, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
    return _download(_entries_of(queryset))


def _view(model_admin, view, method_guard):
    def bound(request: HttpRequest) -> HttpResponse:
        return view(request, model_admin=model_admin)

    bound.__name__ = view.__name__
    return model_admin.admin_site.admin_view(method_guard(bound))


def question_admin_urls(model_admin) -> list:
    """URL patterns added to the question admin (import, export)."""
    return [
        path(
            "import/",
            _view(model_admin, import_form_view, require_GET),
            name="questions_question_import",
        ),
        path(
            "import/preview/",
            _view(model_admin, import_preview_view, require_POST),
            name="questions_question_import_preview",
        ),
        path(
            "import/confirm/",
            _view(model_admin, import_confirm_view, require_POST),
            name="questions_question_import_confirm",
        ),
        path(
            "export/",
            _view(model_admin, export_view, require_GET),
            name="questions_question_export",
        ),
    ]
