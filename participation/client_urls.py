"""The client's pages, under /c/ (namespace client_links): a separate namespace, outside the staff
pages and the API. The token is the only kwarg: no client or record id is ever in these paths."""

from django.urls import path

from participation import client_views

app_name = "client_links"

urlpatterns = [
    path("<str:token>/", client_views.start, name="start"),
    path("<str:token>/answers/", client_views.questionnaire, name="questionnaire"),
    path("<str:token>/done/", client_views.done, name="done"),
    path("<str:token>/plan/", client_views.agreement, name="agreement"),
    path("<str:token>/plan/pdf/", client_views.agreement_pdf, name="agreement_pdf"),
    path("<str:token>/plan/done/", client_views.agreement_done, name="agreement_done"),
]
