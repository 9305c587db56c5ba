"""Signing up, verifying the email, signing in, two-factor codes and the login rate limit."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # the factories' password
CONFIRM_LINK = re.compile(r"https?://\S+(/accounts/confirm-email/[^/\s]+/)")


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    # allauth counts attempts in the cache; a test must not inherit another's failures.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def verified_user(db) -> User:
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def sign_in(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def totp_code(secret: str, *, offset: int = 0) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + offset
    return format_hotp_value(hotp_value(secret, counter))


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


class TestSignup:
    def test_signup_creates_the_first_organization_and_sends_a_verification_email(self, client, mailoutbox):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "Owner@Shop.example",
                "full_name": "Carmen Ruiz",
                "organization_name": "Zapatería Ruiz",
                "password1": "a-long-Secret-42",
                "password2": "a-long-Secret-42",
            },
        )

        assert response.status_code == 302
        assert response.url == reverse("account_email_verification_sent")
        user = User.objects.get(email="owner@shop.example")
        assert user.full_name == "Carmen Ruiz"
        [membership] = user.memberships.select_related("organization")
        assert (membership.organization.name, membership.role) == ("Zapatería Ruiz", Role.OWNER)
        [message] = mailoutbox
        assert message.to == ["owner@shop.example"]
        assert CONFIRM_LINK.search(message.body)

    def test_signup_page_asks_for_name_and_business_first(self, client):
        html = client.get(reverse("account_signup")).content.decode()

        positions = [
            html.index(f'name="{field}"') for field in ("full_name", "organization_name", "email", "password1")
        ]
        assert positions == sorted(positions)
        assert 'class="entrance"' in html

    def test_sign_in_works_once_the_email_is_verified(self, client, mailoutbox):
        client.post(
            reverse("account_signup"),
            {
                "email": "verify@shop.example",
                "organization_name": "Tienda Verde",
                "password1": "a-long-Secret-42",
                "password2": "a-long-Secret-42",
            },
        )
        fresh = Client()
        unverified = sign_in(fresh, "verify@shop.example", "a-long-Secret-42")
        assert not is_signed_in(fresh)
        assert unverified.url == reverse("account_email_verification_sent")

        confirm_path = CONFIRM_LINK.search(mailoutbox[-1].body).group(1)
        assert fresh.get(confirm_path).status_code == 200
        fresh.post(confirm_path)
        assert EmailAddress.objects.get(email="verify@shop.example").verified

        later = Client()
        response = sign_in(later, "verify@shop.example", "a-long-Secret-42")
        assert response.status_code == 302
        assert response.url == reverse("backoffice:home")
        assert "Tienda Verde" in later.get(reverse("backoffice:home")).content.decode()

    def test_wrong_password_is_refused_on_the_product_login_page(self, client, verified_user):
        response = sign_in(client, verified_user.email, "wrong password")

        assert response.status_code == 200
        assert not is_signed_in(client)
        assert 'class="alert alert-error"' in response.content.decode()


class TestLoginRateLimit:
    def test_after_repeated_failures_even_the_right_password_is_refused(self, client, verified_user):
        for _attempt in range(5):
            sign_in(client, verified_user.email, "guessing")

        response = sign_in(client, verified_user.email)

        assert response.status_code == 200
        assert not is_signed_in(client)
        assert 'class="alert alert-error"' in response.content.decode()

    def test_a_few_failures_do_not_lock_the_account(self, client, verified_user):
        for _attempt in range(3):
            sign_in(client, verified_user.email, "typo")

        response = sign_in(client, verified_user.email)

        assert response.status_code == 302
        assert is_signed_in(client)


class TestTwoFactor:
    def activate_totp(self, client: Client, user: User) -> str:
        sign_in(client, user.email)
        # Security settings ask for the password again before changing anything.
        assert client.get(reverse("mfa_activate_totp")).url.startswith(reverse("account_reauthenticate"))
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        page = client.get(reverse("mfa_activate_totp"))
        assert page.status_code == 200
        secret = client.session[SECRET_SESSION_KEY]
        assert 'class="qr"' in page.content.decode()
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
        assert response.status_code == 302
        return secret

    def test_activating_an_authenticator_app(self, client, verified_user):
        self.activate_totp(client, verified_user)

        assert Authenticator.objects.filter(user=verified_user, type=Authenticator.Type.TOTP).exists()
        codes_page = client.get(reverse("mfa_view_recovery_codes"))
        assert codes_page.status_code == 200
        assert 'id="recovery_codes"' in codes_page.content.decode()

    def test_sign_in_then_requires_the_code(self, client, verified_user):
        secret = self.activate_totp(client, verified_user)
        client.post(reverse("account_logout"))

        response = sign_in(client, verified_user.email)
        assert response.status_code == 302
        assert response.url == reverse("mfa_authenticate")
        assert not is_signed_in(client)
        assert client.get(reverse("backoffice:home")).status_code == 302

        wrong = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret, offset=5)})
        assert wrong.status_code == 200
        assert not is_signed_in(client)

        right = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
        assert right.status_code == 302
        assert is_signed_in(client)

    def test_two_factor_pages_use_the_product_layout(self, client, verified_user):
        self.activate_totp(client, verified_user)

        manage = client.get(reverse("mfa_index")).content.decode()
        client.post(reverse("account_logout"))
        sign_in(client, verified_user.email)
        challenge = client.get(reverse("mfa_authenticate")).content.decode()

        assert 'class="sidebar"' in manage
        assert 'class="entrance"' in challenge


class TestPasswordReset:
    def test_forgotten_password_is_reset_through_the_emailed_link(self, client, verified_user, mailoutbox):
        form = client.get(reverse("account_reset_password"))
        assert 'class="entrance"' in form.content.decode()

        client.post(reverse("account_reset_password"), {"email": verified_user.email})
        link = re.search(r"https?://\S+(/accounts/password/reset/key/\S+/)", mailoutbox[-1].body).group(1)
        set_password_page = client.get(link, follow=True)
        assert set_password_page.status_code == 200
        client.post(
            set_password_page.redirect_chain[-1][0] if set_password_page.redirect_chain else link,
            {"password1": "brand-New-secret-77", "password2": "brand-New-secret-77"},
        )

        fresh = Client()
        assert sign_in(fresh, verified_user.email, "brand-New-secret-77").status_code == 302
        assert is_signed_in(fresh)
