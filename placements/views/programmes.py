"""The programme team's pages for programmes, cohorts and enrolment. Everyone else gets 403."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from connecting.accounts.models import Role
from connecting.accounts.roles import role_required
from connecting.forms import form_add_validation_error, posted_data, render_form_page
from placements.forms.programmes import (
    CohortForm,
    EnrolmentAddForm,
    EnrolmentMoveForm,
    EnrolmentUploadForm,
    ProgrammeForm,
)
from placements.selectors import programmes as selectors
from placements.services import programmes as services

PAGE_SIZE = 25


def _programme(request, programme_id: int):
    return selectors.programme_get_for_user(programme_id=programme_id, user=request.user)


# --- Programmes ---------------------------------------------------------------------------------


@role_required(Role.PROGRAMME_TEAM)
@require_GET
def programme_list(request):
    page = Paginator(selectors.programme_list_for_user(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "placements/programme_list.html", {"page": page})


@role_required(Role.PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def programme_create(request):
    form = ProgrammeForm(
        posted_data(request), initial=ProgrammeForm.initial_for(None), submit_label=_("Create programme")
    )
    if form.is_valid():
        try:
            programme = services.programme_create(**form.cleaned_data)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("Programme %(name)s created.") % {"name": programme.name})
            return redirect("programmes:detail", programme_id=programme.pk)
    return render_form_page(request, "placements/programme_form.html", {"form": form, "programme": None})


@role_required(Role.PROGRAMME_TEAM)
@require_GET
def programme_detail(request, programme_id: int):
    programme = _programme(request, programme_id)
    enrolments = Paginator(selectors.enrolment_list(programme=programme), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "placements/programme_detail.html",
        {"programme": programme, "cohorts": selectors.cohort_list(programme=programme), "page": enrolments},
    )


@role_required(Role.PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def programme_edit(request, programme_id: int):
    programme = _programme(request, programme_id)
    form = ProgrammeForm(
        posted_data(request), initial=ProgrammeForm.initial_for(programme), submit_label=_("Save changes")
    )
    if form.is_valid():
        try:
            services.programme_update(programme=programme, **form.cleaned_data)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("Changes to %(name)s saved.") % {"name": programme.name})
            return redirect("programmes:detail", programme_id=programme.pk)
    return render_form_page(request, "placements/programme_form.html", {"form": form, "programme": programme})


# --- Cohorts ------------------------------------------------------------------------------------


@role_required(Role.PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def cohort_create(request, programme_id: int):
    programme = _programme(request, programme_id)
    form = CohortForm(posted_data(request), submit_label=_("Add cohort"))
    if form.is_valid():
        try:
            cohort = services.cohort_create(programme=programme, **form.cleaned_data)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("Cohort %(name)s added.") % {"name": cohort.name})
            return redirect("programmes:detail", programme_id=programme.pk)
    return render_form_page(
        request, "placements/cohort_form.html", {"form": form, "programme": programme, "cohort": None}
    )


@role_required(Role.PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def cohort_edit(request, programme_id: int, cohort_id: int):
    programme = _programme(request, programme_id)
    cohort = selectors.cohort_get(programme=programme, cohort_id=cohort_id)
    form = CohortForm(
        posted_data(request), initial=CohortForm.initial_for(cohort), submit_label=_("Save changes")
    )
    if form.is_valid():
        try:
            services.cohort_update(cohort=cohort, **form.cleaned_data)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(request, _("Changes to cohort %(name)s saved.") % {"name": cohort.name})
            return redirect("programmes:detail", programme_id=programme.pk)
    return render_form_page(
        request, "placements/cohort_form.html", {"form": form, "programme": programme, "cohort": cohort}
    )


# --- Enrolment ----------------------------------------------------------------------------------


@role_required(Role.PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def enrolment_add(request, programme_id: int):
    programme = _programme(request, programme_id)
    form = EnrolmentAddForm(posted_data(request), programme=programme)
    if form.is_valid():
        try:
            enrolment = services.enrolment_create(programme=programme, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s enrolled on %(programme)s.")
                % {"name": enrolment.participant.full_name, "programme": programme.name},
            )
            return redirect("programmes:detail", programme_id=programme.pk)
    return render_form_page(request, "placements/enrolment_form.html", {"form": form, "programme": programme})


@role_required(Role.PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def enrolment_move(request, programme_id: int, enrolment_id: int):
    programme = _programme(request, programme_id)
    enrolment = selectors.enrolment_get(programme=programme, enrolment_id=enrolment_id)
    form = EnrolmentMoveForm(
        posted_data(request), initial={"cohort": enrolment.cohort_id}, programme=programme
    )
    if form.is_valid():
        try:
            services.enrolment_move(enrolment=enrolment, cohort=form.cleaned_data["cohort"], by=request.user)
        except ValidationError as error:
            form_add_validation_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is now in cohort %(cohort)s.")
                % {"name": enrolment.participant.full_name, "cohort": enrolment.cohort.name}
                if enrolment.cohort
                else _("%(name)s is no longer in a cohort.") % {"name": enrolment.participant.full_name},
            )
            return redirect("programmes:detail", programme_id=programme.pk)
    return render_form_page(
        request,
        "placements/enrolment_move.html",
        {"form": form, "programme": programme, "enrolment": enrolment},
    )


@role_required(Role.PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def enrolment_remove(request, programme_id: int, enrolment_id: int):
    """GET asks "are you sure?"; only the POST from that page removes the enrolment."""
    programme = _programme(request, programme_id)
    enrolment = selectors.enrolment_get(programme=programme, enrolment_id=enrolment_id)
    if request.method == "POST":
        services.enrolment_remove(enrolment=enrolment, by=request.user)
        messages.success(
            request,
            _("%(name)s removed from %(programme)s.")
            % {"name": enrolment.participant.full_name, "programme": programme.name},
        )
        return redirect("programmes:detail", programme_id=programme.pk)
    return render(
        request, "placements/enrolment_remove.html", {"programme": programme, "enrolment": enrolment}
    )


def _import_message(result: services.EnrolmentImportResult) -> str:
    enrolled = ngettext(
        "%(count)d participant enrolled.", "%(count)d participants enrolled.", result.enrolled_count
    ) % {"count": result.enrolled_count}
    if not result.skipped_count:
        return enrolled
    skipped = ngettext(
        "%(count)d row skipped because that person was already enrolled.",
        "%(count)d rows skipped because those people were already enrolled.",
        result.skipped_count,
    ) % {"count": result.skipped_count}
    return f"{enrolled} {skipped}"


@role_required(Role.PROGRAMME_TEAM)
@require_http_methods(["GET", "POST"])
def enrolment_upload(request, programme_id: int):
    programme = _programme(request, programme_id)
    form = EnrolmentUploadForm(posted_data(request), request.FILES if request.method == "POST" else None)
    result = None
    if form.is_valid():
        result = services.enrolment_import_csv(
            programme=programme, file=form.cleaned_data["file"], by=request.user
        )
        if not result.has_errors:
            messages.success(request, _import_message(result))
            return redirect("programmes:detail", programme_id=programme.pk)
        for message in result.file_errors:
            form.add_error("file", message)
        if result.error_rows:
            form.add_error(
                "file",
                ngettext(
                    "%(count)d row of the file has a problem. Nothing was imported: correct it and "
                    "upload the file again.",
                    "%(count)d rows of the file have problems. Nothing was imported: correct them and "
                    "upload the file again.",
                    len(result.error_rows),
                )
                % {"count": len(result.error_rows)},
            )
    return render_form_page(
        request,
        "placements/enrolment_upload.html",
        {"form": form, "programme": programme, "result": result},
    )
