"""The app's URLs plus the floor for the web benchmarks: a bare view rendering a trivial template."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

_TRIVIAL = engines["django"].from_string("<!doctype html><title>floor</title><p>{{ n }}</p>")


def bare(request):
    return HttpResponse(_TRIVIAL.render({"n": 1}, request))


def _bare_api():
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class BareApi(APIView):
        """The API floor: DRF with the project's authentication and permissions, static JSON."""

        def get(self, request):
            return Response({"id": 1, "status": "ok", "items": [1, 2, 3]})

    return BareApi.as_view()


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/bare-api/", _bare_api()),
    path("", include("config.urls")),
]
