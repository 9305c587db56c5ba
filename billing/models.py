from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.tenancy import TenantModel


class Wallet(TenantModel):
    """One per organization. A missing wallet means billing is not enforced (self-hosted/dev)."""

    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=6, default=Decimal(0))
    currency = models.CharField(max_length=3, default="USD")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(TenantModel.Meta):
        constraints = [models.UniqueConstraint(fields=["organization"], name="unique_wallet_per_org")]

    def __str__(self) -> str:
        return f"{self.balance} {self.currency}"
