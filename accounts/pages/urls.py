from django.urls import path

from accounts.pages import account, api_keys, home, invitations, members, organizations

urlpatterns = [
    path("", home.HomePage.as_view(), name="home"),
    path("members/", members.MemberListPage.as_view(), name="member_list"),
    path("members/invite/", members.InvitationCreatePage.as_view(), name="invitation_create"),
    path("members/<str:membership_id>/role/", members.MemberRolePage.as_view(), name="member_role"),
    path("members/<str:membership_id>/remove/", members.MemberRemovePage.as_view(), name="member_remove"),
    path(
        "members/invitations/<str:invitation_id>/revoke/",
        members.InvitationRevokePage.as_view(),
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", invitations.InvitationAcceptPage.as_view(), name="invitation_accept"),
    path("api-keys/", api_keys.ApiKeyListPage.as_view(), name="api_key_list"),
    path("api-keys/<str:key_id>/revoke/", api_keys.ApiKeyRevokePage.as_view(), name="api_key_revoke"),
    path("account/", account.AccountSettingsPage.as_view(), name="account_settings"),
    path("organizations/new/", organizations.OrganizationCreatePage.as_view(), name="organization_create"),
    path("organizations/switch/", organizations.OrganizationSwitchPage.as_view(), name="organization_switch"),
    path("organization/", organizations.OrganizationSettingsPage.as_view(), name="organization_settings"),
    path("organization/delete/", organizations.OrganizationDeletePage.as_view(), name="organization_delete"),
]
