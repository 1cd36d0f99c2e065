from django.contrib import admin
from django.urls import include, path

from clients import urls as client_urls
from config import views
from plans import discharge_views

# Discharging a client closes their plans, so its view lives on the plan side (clients imports
# nothing from plans); the composition root puts it back under the clients namespace.
client_routes = [
    *client_urls.urlpatterns,
    path("<int:pk>/discharge/", discharge_views.client_discharge, name="discharge"),
]


def _superusers_only(request) -> bool:
    # Practice staff work in the app itself; the Django admin is for superusers.
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only
admin.site.site_header = "Psyplan administration (superusers)"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # The audit page kept its address under /accounts/ when it moved to the audit app.
    path("accounts/audit/", include("audit.urls")),
    path("accounts/", include("accounts.urls")),
    path("clients/", include((client_routes, client_urls.app_name))),
    # Sessions and their notes are reached from the client page, so their routes sit under /clients/.
    path("clients/", include("notes.urls")),
    # Client links (issue 15): staff make and revoke them from the client page; the client's own
    # pages sit apart under /c/, outside the staff pages and the API.
    path("clients/", include("participation.urls")),
    path("c/", include("participation.client_urls")),
    # The formulation is edited on the plan page, so its editor's routes sit under /plans/ too.
    path("plans/", include("formulation.urls")),
    # Progress reviews and records keep the /plans/ paths they had inside the plans app.
    path("plans/", include("progress.urls")),
    path("plans/", include("records.urls")),
    path("plans/", include("plans.urls")),
    path("api/", include("config.api_urls")),
    path("django-admin/", admin.site.urls),
]

# A database outage raised outside a view (e.g. loading the session) answers 503, not 500.
handler500 = "core.dbfailure.server_error"
# ... and so does one that stops the session being saved (Django reports that as a 400).
handler400 = "core.dbfailure.bad_request"
