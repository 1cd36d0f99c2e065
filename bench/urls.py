"""The app's URLs plus the floor for the web benchmarks: a bare view rendering a trivial template."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

_TRIVIAL = engines["django"].from_string("<!doctype html><title>floor</title><p>{{ n }}</p>")


def bare(request):
    return HttpResponse(_TRIVIAL.render({"n": 1}, request))


urlpatterns = [path("bench/bare/", bare), path("", include("config.urls"))]
