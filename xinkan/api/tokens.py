"""Issuing, revoking and checking API tokens, and the scope a token acts in.

A token's scope is built from the same pieces as a person's: one `Grant` (its role at its unit or
department), read by `xinkan.org.scope.Scope`, with the token's permissions as a further limit.
Every rule about subtrees and departments stays in `org.scope`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xinkan.api.models import ApiToken
from xinkan.audit import services as audit
from xinkan.core.crypto import blind_index
from xinkan.org.models import Department, Unit
from xinkan.org.roles import DEPARTMENT_ROLES, ROLE_PERMISSIONS, UNIT_ROLES, Perm, Role
from xinkan.org.scope import Grant, Scope, get_scope

if TYPE_CHECKING:
    from xinkan.accounts.models import User

SECRET_PURPOSE = "api-token"  # noqa: S105 (a hashing label, not a secret)
TOKEN_PREFIX = "xk_"  # noqa: S105
# Roles a system may act in. Administrators run the system and volunteers hold nothing.
TOKEN_ROLES = frozenset(set(Role) - {Role.ADMIN, Role.VOLUNTEER})
# Never delegated to a system: issuing tokens, managing people and the organisation.
NEVER_DELEGATED = frozenset(
    {Perm.API_MANAGE, Perm.ACCOUNTS_MANAGE, Perm.ORG_MANAGE, Perm.AUDIT_VIEW_SYSTEM}
)
# A service account's scope lives on the user object, where `get_scope` caches it.
_SCOPE_ATTR = "_xinkan_scope"


@dataclass(frozen=True)
class TokenScope(Scope):
    """A scope whose permissions are cut down to the token's own."""

    perms: frozenset[str] = frozenset()

    def has_perm(self, perm: str) -> bool:
        return perm in self.perms and super().has_perm(perm)

    def _resolve(self, perm: str) -> tuple[tuple[str, ...], frozenset[int]]:
        if perm not in self.perms:
            return (), frozenset()
        return super()._resolve(perm)


@dataclass
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return blind_index(secret, SECRET_PURPOSE)


def allowed_perms(role: str) -> frozenset[str]:
    return frozenset(ROLE_PERMISSIONS.get(role, frozenset())) - NEVER_DELEGATED


def check_request(
    *, role: str, perms: list[str], unit: Unit | None, department: Department | None, by: User
) -> None:
    errors: dict[str, list[str]] = {}
    if (unit is None) == (department is None):
        errors["unit"] = [_("A token belongs to one unit or one department.")]
    elif role not in TOKEN_ROLES or role not in (DEPARTMENT_ROLES if department else UNIT_ROLES):
        errors["role"] = [_("This role cannot be given to a token there.")]
    else:
        extra = set(perms) - allowed_perms(role)
        if not perms:
            errors["perms"] = [_("Choose at least one permission.")]
        elif extra:
            errors["perms"] = [
                _("The role does not hold: %(perms)s") % {"perms": ", ".join(sorted(extra))}
            ]
    if errors:
        raise ValidationError(errors)
    scope = get_scope(by)
    covered = (
        scope.covers_unit(unit, Perm.API_MANAGE)
        if unit is not None
        else scope.covers_department(department, Perm.API_MANAGE)
    )
    if not covered:
        audit.record_failure(
            actor=by,
            action="api.token.create_denied",
            unit=unit or (department.unit if department else None),
            data={"role": role},
        )
        raise PermissionDenied(_("You may not issue API tokens there."))


def create_token(
    *,
    name: str,
    role: str,
    perms: list[str],
    by: User,
    unit: Unit | None = None,
    department: Department | None = None,
) -> IssuedToken:
    """A new token; its secret is in the result only."""
    from xinkan.accounts.models import User as UserModel

    check_request(role=role, perms=perms, unit=unit, department=department, by=by)
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        # The service account the token acts as: no password, no membership, so no login and no
        # place in staff lists; its scope comes from the token (`bind_scope`).
        account = UserModel.objects.create_user(
            username=f"api-{prefix}", password=None, display_name=name[:60]
        )
        token = ApiToken.objects.create(
            name=name,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            user=account,
            unit=unit,
            department=department,
            role=role,
            perms=sorted(set(perms)),
            created_by=by,
        )
        audit.record(
            actor=by,
            action="api.token.created",
            obj=token,
            unit=unit or (department.unit if department else None),
            data={"role": role, "perms": sorted(set(perms)), "prefix": prefix},
        )
    return IssuedToken(token=token, secret=secret)


def revoke_token(token: ApiToken, *, by: User) -> ApiToken:
    if not token.is_active:
        return token
    scope = get_scope(by)
    unit = token.unit or (token.department.unit if token.department else None)
    covered = (
        scope.covers_unit(token.unit, Perm.API_MANAGE)
        if token.unit
        else scope.covers_department(token.department, Perm.API_MANAGE)
    )
    if not covered:
        audit.record_failure(actor=by, action="api.token.revoke_denied", obj=token, unit=unit)
        raise PermissionDenied(_("You may not revoke this API token."))
    with transaction.atomic():
        now = timezone.now()
        changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=by
        )
        if changed:
            token.revoked_at, token.revoked_by = now, by
            audit.record(actor=by, action="api.token.revoked", obj=token, unit=unit)
    return token


def token_scope(token: ApiToken) -> TokenScope:
    unit, department = token.unit, token.department
    if (unit is not None and not unit.is_active) or (
        department is not None and not department.is_active
    ):
        return TokenScope(user_id=token.user_id)
    grant = Grant(
        role=token.role,
        unit_id=unit.pk if unit else None,
        unit_path=unit.path if unit else None,
        unit_name=unit.name if unit else (department.name if department else ""),
        department_id=department.pk if department else None,
        department_unit_path=department.unit.path if department else None,
    )
    return TokenScope(
        user_id=token.user_id,
        grants=(grant,),
        perms=frozenset(token.perms) & allowed_perms(token.role),
    )


def bind_scope(token: ApiToken) -> User:
    """The token's service account, carrying the token's scope for every `get_scope` call."""
    account = token.user
    setattr(account, _SCOPE_ATTR, token_scope(token))
    return account


def find_active(secret: str) -> ApiToken | None:
    """The active token with this secret, its last use noted (at most once a minute)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "unit", "department__unit")
        .filter(secret_hash=hash_secret(secret))
        .first()
    )
    if token is None:
        return None
    if not token.is_active or not token.user.is_active:
        audit.record_failure(
            actor=token.user,
            action="api.token.denied",
            obj=token,
            data={"reason": "revoked" if token.revoked_at else "inactive"},
        )
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
