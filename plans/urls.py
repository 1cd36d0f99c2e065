from django.urls import path

from plans import library, review, views

app_name = "plans"

urlpatterns = [
    path("new/for-client/<int:client_pk>/", views.plan_create, name="create"),
    path("library/", library.library, name="library"),
    path("library/<slug:kind>/add/", library.catalogue_add, name="catalogue_add"),
    path("library/templates/<int:pk>/active/", library.template_set_active, name="template_set_active"),
    path("<int:pk>/save-as-template/", library.template_from_plan, name="template_from_plan"),
    path("reviews/", review.review_queue, name="review_queue"),
    path("notifications/", review.notifications, name="notifications"),
    path("comments/<int:pk>/resolve/", review.comment_resolve, name="comment_resolve"),
    path("<int:pk>/submit/", review.submit, name="submit"),
    path("<int:pk>/request-changes/", review.request_changes, name="request_changes"),
    path("<int:pk>/revise/", review.revise, name="revise"),
    path("<int:pk>/approve/", review.approve, name="approve"),
    path("<int:pk>/amend/", review.amend, name="amend"),
    path("<int:pk>/close/", review.close, name="close"),
    path("<int:pk>/comments/", review.comment_add, name="comment_add"),
    path("<int:pk>/compare/", review.compare, name="compare"),
    path("<int:pk>/client-agreement/", review.client_agreement, name="client_agreement"),
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
