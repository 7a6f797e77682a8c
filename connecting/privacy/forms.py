from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fluid, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _


class DownloadDataForm(forms.Form):
    """Only a button: the download is a POST so a link or a prefetch cannot start one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(Submit("download", _("Download your data")))


class PersonLookupForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        error_messages={
            "required": _("Enter the person's e-mail address"),
            "invalid": _("Enter an e-mail address in the correct format, like name@example.gov.uk"),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Field.text("email", field_width=Fluid.TWO_THIRDS),
            Submit("find", _("Find"), css_class="govuk-button--secondary"),
        )


class AnonymiseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone"),
        error_messages={"required": _("Confirm that you understand this cannot be undone")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.checkbox("confirm", small=True),
            Submit("anonymise", _("Anonymise this person"), css_class="govuk-button--warning"),
        )
