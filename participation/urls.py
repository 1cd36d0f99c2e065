"""Staff routes for client links, under /clients/ (namespace participation)."""

from django.urls import path

from participation import views

app_name = "participation"

urlpatterns = [
    path("<int:client_pk>/links/new/", views.link_create, name="link_create"),
    path("links/<int:client_link_pk>/revoke/", views.link_revoke, name="link_revoke"),
    path("alerts/<int:client_alert_pk>/", views.alert_acknowledge, name="alert_acknowledge"),
]
