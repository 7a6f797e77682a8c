"""Who may export and who may download a finished export.

Exports hold participants' names and e-mail addresses and debrief text, so they are for the
programme team only. A finished export is for the person who asked for it and nobody else, not
even the rest of the team: each member asks for their own, and what they download is what their
filters chose, at the time they chose it.
"""

from connecting.accounts.roles import is_programme_team


def can_export_reports(user) -> bool:
    return is_programme_team(user)


def can_download_export(user, job) -> bool:
    return can_export_reports(user) and job.requested_by_id == user.pk
