from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services.organizations import organization_create


class Command(BaseCommand):
    help = "Create an organization with an owner (the user is created if missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", default=None, help="Only used when the user is created.")

    def handle(self, *args: Any, **options: Any) -> None:
        email = options["owner_email"].strip().lower()
        if "@" not in email:
            raise CommandError("--owner-email must be an email address.")
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, options["owner_password"])
            self.stdout.write(f"Created user {email}" + ("" if options["owner_password"] else " (no password set)"))
        organization = organization_create(name=options["name"], owner=user)
        self.stdout.write(self.style.SUCCESS(f"Created organization {organization.name} (slug: {organization.slug})"))
