from django.urls import path, register_converter
from django.views.generic import RedirectView

from plans.editor import views
from plans.library import views as library
from plans.lifecycle import views as signoff

app_name = "plans"

register_converter(views.KindConverter, "plan_item_kind")

urlpatterns = [
    path("new/for-client/<int:client_pk>/", views.plan_create, name="create"),
    path("library/", library.library, name="library"),
    path("library/<slug:kind>/add/", library.catalogue_add, name="catalogue_add"),
    path("library/templates/<int:pk>/active/", library.template_set_active, name="template_set_active"),
    path("library/templates/<int:pk>/preview/", library.template_preview, name="template_preview"),
    path("library/techniques/about/", library.technique_about, name="technique_about"),
    path("library/techniques/<int:pk>/describe/", library.technique_describe, name="technique_describe"),
    path("<int:pk>/save-as-template/", library.template_from_plan, name="template_from_plan"),
    path("sign-off/", signoff.signoff_queue, name="signoff_queue"),
    # The queue's old address, for bookmarks: "reviews" now means only the progress reviews.
    path("reviews/", RedirectView.as_view(pattern_name="plans:signoff_queue", permanent=True)),
    path("notifications/", signoff.notifications, name="notifications"),
    path("comments/<int:pk>/resolve/", signoff.comment_resolve, name="comment_resolve"),
    path("<int:pk>/submit/", signoff.submit, name="submit"),
    path("<int:pk>/request-changes/", signoff.request_changes, name="request_changes"),
    path("<int:pk>/revise/", signoff.revise, name="revise"),
    path("<int:pk>/approve/", signoff.approve, name="approve"),
    path("<int:pk>/amend/", signoff.amend, name="amend"),
    path("<int:pk>/close/", signoff.close, name="close"),
    path("<int:pk>/comments/", signoff.comment_add, name="comment_add"),
    path("<int:pk>/compare/", signoff.compare, name="compare"),
    path("<int:pk>/client-agreement/", signoff.client_agreement, name="client_agreement"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/details/", views.plan_details_save, name="details_save"),
    path("<int:pk>/structure/", views.plan_structure, name="structure"),
    path("<int:pk>/smart/", views.smart_preview, name="smart_preview"),
    path("<int:pk>/<plan_item_kind:kind>/add/", views.item_add, name="item_add"),
    path("items/<plan_item_kind:kind>/<int:item_pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<plan_item_kind:kind>/<int:item_pk>/remove/", views.item_remove, name="item_remove"),
    path("items/<plan_item_kind:kind>/<int:item_pk>/move/<slug:direction>/", views.item_move, name="item_move"),
]
