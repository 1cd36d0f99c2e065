"""The session, note and private process note pages, under /clients/ (config/urls.py): a session is
reached from its client's page. Kwargs name what they identify, so the access log names the session
(and from it the client) or the process note (audit/routes.py)."""

from django.urls import path

from notes import views

app_name = "notes"

urlpatterns = [
    path("<int:client_pk>/sessions/", views.session_list, name="session_list"),
    path("<int:client_pk>/sessions/record/", views.session_record, name="session_record"),
    path("sessions/<int:session_pk>/", views.session_detail, name="session_detail"),
    path("sessions/<int:session_pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:session_pk>/note/", views.note_save, name="note_save"),
    path("sessions/<int:session_pk>/sign/", views.note_sign, name="note_sign"),
    path("sessions/<int:session_pk>/addendum/", views.note_addendum, name="note_addendum"),
    path("<int:client_pk>/process-notes/", views.process_notes, name="process_notes"),
    path("process-notes/<int:process_note_pk>/", views.process_note, name="process_note"),
    path("process-notes/<int:process_note_pk>/share/", views.process_note_share, name="process_note_share"),
    path("process-notes/<int:process_note_pk>/withdraw/", views.process_note_withdraw, name="process_note_withdraw"),
    path("process-notes/shares/<int:share_pk>/revoke/", views.process_note_revoke, name="process_note_revoke"),
]
