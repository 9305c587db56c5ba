from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import ApiKey, Organization
from accounts.services.api_keys import api_key_create


class Command(BaseCommand):
    help = "Create an organization API key and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--scope", choices=[ApiKey.Scope.READ, ApiKey.Scope.WRITE], default=ApiKey.Scope.READ)

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug {options['org']!r}.")
        _api_key, raw = api_key_create(organization=organization, name=options["name"], scope=options["scope"])
        self.stdout.write(raw)
