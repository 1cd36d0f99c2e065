from django.urls import path

from clients import views

app_name = "clients"

# clients:discharge is added by config/urls.py: discharging closes the client's plans, so its view
# lives on the plan side (plans/discharge_views.py), and clients imports nothing from plans.
urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/problems/new/", views.problem_create, name="problem_create"),
]
