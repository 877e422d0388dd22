"""Roles and what each may do: the permission table the server checks on every route.

Kept as data so a data-protection officer can read it in one place. The principle is
need to know: the admin runs accounts but does not read cases; the prosecutor's office
reads only the cases sent to it; a partner liaison handles referrals, not dossiers.
"""

from __future__ import annotations

from enum import StrEnum

from filature.errors import FilatureError, InputError


class Role(StrEnum):
    """The six roles of a unit, from the issue."""

    ANALYST = "analyst"
    INVESTIGATOR = "investigator"
    SUPERVISOR = "supervisor"
    PROSECUTOR = "prosecutor"
    PARTNER_LIAISON = "partner_liaison"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing the server can allow or refuse; routes name the one they need."""

    TARGETS_VIEW = "targets.view"          # target and facilitator lists and pages
    REFERRALS_VIEW = "referrals.view"
    EXPORTS_RUN = "exports.run"            # CSV / JSON / evidence packages
    PARTNER_SHARE = "partners.share"       # matching and sharing with partner agencies
    CASES_VIEW = "cases.view"              # case list and pages (row rules apply)
    CASES_OPEN = "cases.open"
    CASES_NOTE = "cases.note"
    CASES_EDIT = "cases.edit"              # status, deadline, evidence upload
    CASES_ASSIGN = "cases.assign"
    EVIDENCE_DOWNLOAD = "evidence.download"
    WORKLOAD_VIEW = "workload.view"        # own workload
    WORKLOAD_UNIT = "workload.unit"        # every investigator's workload
    AUDIT_VIEW = "audit.view"
    USERS_MANAGE = "users.manage"


P = Permission
_CASEWORK = {P.TARGETS_VIEW, P.REFERRALS_VIEW, P.CASES_VIEW, P.CASES_OPEN, P.CASES_NOTE,
             P.EVIDENCE_DOWNLOAD, P.WORKLOAD_VIEW}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ANALYST: frozenset(_CASEWORK | {P.EXPORTS_RUN}),
    Role.INVESTIGATOR: frozenset(_CASEWORK | {P.EXPORTS_RUN, P.CASES_EDIT}),
    Role.SUPERVISOR: frozenset(_CASEWORK | {P.EXPORTS_RUN, P.CASES_EDIT, P.CASES_ASSIGN,
                                            P.WORKLOAD_UNIT, P.AUDIT_VIEW}),
    Role.PROSECUTOR: frozenset({P.CASES_VIEW, P.EVIDENCE_DOWNLOAD}),
    Role.PARTNER_LIAISON: frozenset({P.REFERRALS_VIEW, P.PARTNER_SHARE, P.EXPORTS_RUN}),
    Role.ADMIN: frozenset({P.USERS_MANAGE, P.AUDIT_VIEW}),
}

ROLE_LABELS: dict[Role, dict[str, str]] = {
    Role.ANALYST: {"en": "Analyst", "fr": "Analyste"},
    Role.INVESTIGATOR: {"en": "Investigator", "fr": "Enquêteur"},
    Role.SUPERVISOR: {"en": "Supervisor", "fr": "Chef de groupe"},
    Role.PROSECUTOR: {"en": "Prosecutor's office", "fr": "Parquet"},
    Role.PARTNER_LIAISON: {"en": "Partner liaison", "fr": "Liaison partenaires"},
    Role.ADMIN: {"en": "Administrator", "fr": "Administrateur"},
}

# Roles whose case list is limited to what the prosecutor was sent.
SENT_CASES_ONLY = frozenset({Role.PROSECUTOR})


def parse_role(value: str) -> Role:
    """The role named ``value``; an unknown name is a user error listing the valid ones."""
    try:
        return Role(value.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError as e:
        raise InputError(f"unknown role {value!r}; one of: "
                         + ", ".join(r.value for r in Role)) from e


def allows(role: str, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission``; an unknown role holds nothing."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


class Forbidden(FilatureError):
    """The signed-in user's role does not allow this; the web app answers 403 and logs it."""

    def __init__(self, permission: str, reason: str | None = None, *,
                 key: str | None = None) -> None:
        self.permission = permission
        self.reason = reason or f"needs the permission {permission}"
        super().__init__(self.reason, key=key)
