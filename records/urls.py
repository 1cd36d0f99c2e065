from django.urls import path

from records import client_version_views, export_views, pdf_views

app_name = "records"

# Under /plans/ (config/urls.py), at the paths they had when they were part of the plans app.
urlpatterns = [
    path("exports/", export_views.export_list, name="exports"),
    path("exports/<int:pk>/", export_views.export_detail, name="export_detail"),
    path("exports/<int:pk>/retry/", export_views.export_retry, name="export_retry"),
    path("exports/<int:pk>/download/", export_views.export_download, name="export_download"),
    path("<int:pk>/pdf/", pdf_views.plan_pdf, name="pdf"),
    path("<int:pk>/client-version/", client_version_views.plan_client_version, name="client_version"),
]
