"""Staff routes for client links, under /clients/ (namespace participation)."""

from django.urls import path

from participation import practice_views, views

app_name = "participation"

urlpatterns = [
    path("<int:client_pk>/links/new/", views.link_create, name="link_create"),
    path("links/<int:client_link_pk>/revoke/", views.link_revoke, name="link_revoke"),
    path("plans/<int:plan_pk>/agreement-link/", views.agreement_link_create, name="agreement_link_create"),
    path("alerts/<int:client_alert_pk>/", views.alert_acknowledge, name="alert_acknowledge"),
]

# The practice admin's pages (participation/practice_views.py), beside the links they are about.
urlpatterns += [
    path("links/settings/", practice_views.link_settings, name="link_settings"),
    path("links/response-rates/", practice_views.response_rates, name="response_rates"),
]
