from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Organization, User
from accounts.services.organizations import organization_create
from agents.services.agents import agent_create, agent_publish

DEMO_EMAIL = "admin@myagent.local"
DEMO_INSTRUCTIONS = (
    "Eres el asistente de Café Sol, una cafetería en Madrid. Abrimos de lunes a sábado de 8:00 a 20:00. "
    "Responde dudas sobre horarios, carta y reservas. Si no sabes algo, ofrece hablar con una persona."
)


class Command(BaseCommand):
    help = "Development only: create a staff login, a demo organization and a published demo agent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--credentials-file", default=str(Path(settings.BASE_DIR) / ".devdb" / "credentials.json"))

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["credentials_file"])
        stored = json.loads(path.read_text()) if path.exists() else {}
        password = stored.get("password") or secrets.token_urlsafe(12)
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_superuser(DEMO_EMAIL, password, full_name="Admin")
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True})
        if not Organization.objects.filter(memberships__user=user).exists():
            organization = organization_create(name="Café Sol (demo)", owner=user)
            agent = agent_create(
                organization=organization,
                name="Recepción Café Sol",
                instructions=DEMO_INSTRUCTIONS,
                model="demo/assistant",
                greeting="¡Hola! Soy el asistente de Café Sol. ¿En qué puedo ayudarte?",
                tools=["current_datetime"],
            )
            agent_publish(organization=organization, agent=agent, user=user, note="Demo")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"email": DEMO_EMAIL, "password": password}))
        path.chmod(0o600)
        self.stdout.write(json.dumps({"email": DEMO_EMAIL, "password": password}))
