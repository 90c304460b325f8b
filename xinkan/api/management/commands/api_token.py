"""Issue and revoke API tokens from the command line (the secret is printed once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xinkan.accounts.models import User
from xinkan.api import tokens
from xinkan.api.models import ApiToken
from xinkan.org.models import Department, Unit


class Command(BaseCommand):
    help = "Issue (create) or revoke an API token; acts as the given administrator."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--name", required=True)
        create.add_argument("--unit", help="unit code")
        create.add_argument("--department", help="department code")
        create.add_argument("--role", required=True)
        create.add_argument("--perm", action="append", default=[], help="repeat for each")
        create.add_argument("--by", required=True, help="username of the issuing administrator")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")
        revoke.add_argument("--by", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        by = User.objects.filter(username=options["by"], is_active=True).first()
        if by is None:
            raise CommandError("No such active user.")
        if options["action"] == "revoke":
            token = ApiToken.objects.filter(prefix=options["prefix"]).first()
            if token is None:
                raise CommandError("No such token.")
            tokens.revoke_token(token, by=by)
            self.stdout.write(f"Revoked {token}.")
            return
        unit = Unit.objects.filter(code=options["unit"]).first() if options["unit"] else None
        department = (
            Department.objects.filter(code=options["department"]).first()
            if options["department"]
            else None
        )
        issued = tokens.create_token(
            name=options["name"],
            role=options["role"],
            perms=options["perm"],
            unit=unit,
            department=department,
            by=by,
        )
        self.stdout.write(f"Token {issued.token} — the secret, shown only now:\n{issued.secret}")
