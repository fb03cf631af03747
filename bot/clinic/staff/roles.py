"""The one table of what each staff role may see and do.

Every console route names the permission it needs (`bot/web/routes.py`); nothing else decides.
Researchers see study ids, answers and scores only: never names, phone numbers, addresses,
message bodies or any other free text (`SEE_IDENTITY`).
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    SEE_TODAY = "see today"
    SEE_PATIENTS = "see patients"  # lists, a patient's page, plan, answers, scores (by study id)
    SEE_IDENTITY = "see identity"  # names, phone numbers, addresses, message text, free text
    MANAGE_INVITES = "manage invites"  # issue and reissue invites, print handouts
    RELEASE_HOLDS = "release holds"
    SEE_ALERTS = "see alerts"
    HANDLE_ALERTS = "handle alerts"  # acknowledge, assign, comment, resolve
    MANAGE_USERS = "manage users"
    SEE_COHORTS = "see cohorts"  # cohorts, their calendar, the compliance grid (by study id)
    MANAGE_COHORTS = "manage cohorts"  # create cohorts, move or cancel sessions, alumni rules
    RECORD_ATTENDANCE = "record attendance"
    ENTER_PAPER_FORMS = "enter paper forms"  # type in or upload forms answered on paper
    EXPORT_DATA = "export data"  # de-identified unless the role may also see identity
    SEE_REPORTS = "see reports"  # the cohort report, in the page and as PDF
    SEE_AUDIT = "see audit log"
    USE_SIMULATOR = "use the simulator"  # a sandbox clinic: no real patient or message
    SEE_MESSAGES = "see messages"  # the outbox and invitation log, the next 24 hours of sends
    MANAGE_MESSAGES = "manage messages"  # cancel or resend one message
    EDIT_PATIENTS = "edit patients"  # a patient's language (a draft one only when confirmed)
    SEE_TRANSLATIONS = "see translations"  # which survey in which language; the wording's status


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "administrator": frozenset(Permission),
    "coordinator": frozenset(
        {
            Permission.SEE_TODAY,
            Permission.SEE_PATIENTS,
            Permission.SEE_IDENTITY,
            Permission.MANAGE_INVITES,
            Permission.EDIT_PATIENTS,
            Permission.RELEASE_HOLDS,
            Permission.SEE_ALERTS,
            Permission.HANDLE_ALERTS,
            Permission.SEE_COHORTS,
            Permission.MANAGE_COHORTS,
            Permission.RECORD_ATTENDANCE,
            Permission.ENTER_PAPER_FORMS,
            Permission.EXPORT_DATA,
            Permission.SEE_REPORTS,
            Permission.USE_SIMULATOR,
            Permission.SEE_MESSAGES,
            Permission.MANAGE_MESSAGES,
            Permission.SEE_TRANSLATIONS,
        }
    ),
    "clinician": frozenset(
        {
            Permission.SEE_TODAY,
            Permission.SEE_PATIENTS,
            Permission.SEE_IDENTITY,
            Permission.RELEASE_HOLDS,
            Permission.SEE_ALERTS,
            Permission.HANDLE_ALERTS,
            Permission.SEE_COHORTS,
            Permission.RECORD_ATTENDANCE,
            Permission.SEE_REPORTS,
            Permission.USE_SIMULATOR,
            Permission.SEE_MESSAGES,
            Permission.SEE_TRANSLATIONS,
        }
    ),
    "researcher": frozenset(
        {
            Permission.SEE_TODAY,
            Permission.SEE_PATIENTS,
            Permission.SEE_COHORTS,
            Permission.EXPORT_DATA,
            Permission.SEE_REPORTS,
            Permission.USE_SIMULATOR,
            Permission.SEE_TRANSLATIONS,
        }
    ),
}
ROLES: tuple[str, ...] = tuple(ROLE_PERMISSIONS)


def permissions_of(role: str) -> frozenset[Permission]:
    """An unknown role (a row edited by hand) may do nothing."""
    return ROLE_PERMISSIONS.get(role, frozenset())


def may(role: str, permission: Permission) -> bool:
    return permission in permissions_of(role)
