from django.urls import path

from progress import views

app_name = "progress"

# Under /plans/ (config/urls.py), at the paths they had when they were part of the plans app.
urlpatterns = [
    path("progress-reviews/<int:pk>/", views.review_complete, name="review_complete"),
    path("<int:pk>/reviews/start/", views.review_start, name="review_start"),
    path("<int:pk>/measures/<slug:code>/", views.measure_record, name="measure_record"),
    path("<int:pk>/charts/objectives.svg", views.chart_objectives, name="chart_objectives"),
    path("<int:pk>/charts/<slug:code>.svg", views.chart_measure, name="chart_measure"),
]
