from collections.abc import Iterable
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string


def _render_plain_text(template_name: str, context: dict) -> str:
    # Plain text is not HTML: "St Columba's" must not arrive as "St Columba&#x27;s".
    return get_template(template_name).template.render(Context(context, autoescape=False))


def email_send_templated(
    *, to: list[str], template_prefix: str, context: dict, attachments: Iterable[MIMEBase] = ()
) -> None:
    """Render `<prefix>_subject.txt`, `<prefix>_message.txt` and `<prefix>_message.html`, and send.

    Plain text and HTML parts always go together so every mail client shows something readable.
    """
    context = {"service_name": settings.SERVICE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(_render_plain_text(f"{template_prefix}_subject.txt", context).split())
    text_body = _render_plain_text(f"{template_prefix}_message.txt", context)
    html_body = render_to_string(f"{template_prefix}_message.html", context)
    message = EmailMultiAlternatives(subject=f"{settings.SERVICE_NAME}: {subject}", body=text_body, to=to)
    message.attach_alternative(html_body, "text/html")
    for attachment in attachments:
        message.attach(attachment)
    message.send()
