from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def email_send_templated(*, to: list[str], template_prefix: str, context: dict) -> None:
    """Render `<prefix>_subject.txt`, `<prefix>_message.txt` and `<prefix>_message.html`, and send.

    Plain text and HTML parts always go together so every mail client shows something readable.
    """
    context = {"service_name": settings.SERVICE_NAME, "site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
    text_body = render_to_string(f"{template_prefix}_message.txt", context)
    html_body = render_to_string(f"{template_prefix}_message.html", context)
    message = EmailMultiAlternatives(subject=f"{settings.SERVICE_NAME}: {subject}", body=text_body, to=to)
    message.attach_alternative(html_body, "text/html")
    message.send()
