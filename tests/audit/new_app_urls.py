"""The project's URLs plus a namespace no list in audit knows, as a new app would add one."""

from django.http import HttpResponse
from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns


def note_page(request, client_pk):
    return HttpResponse("a note")


notes_patterns = [path("<int:client_pk>/", note_page, name="detail")]

urlpatterns = [*project_urlpatterns, path("notes/", include((notes_patterns, "notes")))]
