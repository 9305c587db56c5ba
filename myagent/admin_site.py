from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class MyAgentAdminSite(admin.AdminSite):
    site_header = _("MyAgent staff")
    site_title = _("MyAgent staff")
    index_title = _("Tenants and platform")
