"""Prepaid wallet: checked before AI work, debited for LLM tokens and Twilio usage."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import Organization


def wallet_has_funds(*, organization: Organization) -> bool:
    """Whether the organization may spend (LLM calls, outbound messages, calls)."""
    from billing.models import Wallet

    wallet = Wallet.unscoped.filter(organization=organization).first()  # tenant-bypass: organization given
    return wallet is None or wallet.balance > Decimal(0)
