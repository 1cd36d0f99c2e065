"""The formulation editor's routes, under /plans/ beside the plan editor's (same paths as before they moved)."""

from django.urls import path, register_converter

from formulation import views

app_name = "formulation"

register_converter(views.KindConverter, "formulation_kind")

urlpatterns = [
    path("<int:pk>/formulation/<slug:section>/", views.section_save, name="section"),
    path("<int:pk>/<formulation_kind:kind>/add/", views.item_add, name="item_add"),
    path("items/<formulation_kind:kind>/<int:item_pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<formulation_kind:kind>/<int:item_pk>/remove/", views.item_remove, name="item_remove"),
    path("items/<formulation_kind:kind>/<int:item_pk>/move/<slug:direction>/", views.item_move, name="item_move"),
]
