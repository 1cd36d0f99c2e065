from django.urls import path

from plans import library, views

app_name = "plans"

urlpatterns = [
    path("new/for-client/<int:client_pk>/", views.plan_create, name="create"),
    path("library/", library.library, name="library"),
    path("library/<slug:kind>/add/", library.catalogue_add, name="catalogue_add"),
    path("library/templates/<int:pk>/active/", library.template_set_active, name="template_set_active"),
    path("<int:pk>/save-as-template/", library.template_from_plan, name="template_from_plan"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/details/", views.plan_details_save, name="details_save"),
    path("<int:pk>/structure/", views.plan_structure, name="structure"),
    path("<int:pk>/formulation/<slug:section>/", views.formulation_section_save, name="formulation_section"),
    path("<int:pk>/smart/", views.smart_preview, name="smart_preview"),
    path("<int:pk>/<slug:kind>/add/", views.item_add, name="item_add"),
    path("items/<slug:kind>/<int:item_pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<slug:kind>/<int:item_pk>/remove/", views.item_remove, name="item_remove"),
    path("items/<slug:kind>/<int:item_pk>/move/<slug:direction>/", views.item_move, name="item_move"),
]
