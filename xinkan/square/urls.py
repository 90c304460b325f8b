from django.urls import path

from xinkan.square import views

app_name = "square"

urlpatterns = [
    path("", views.session_list, name="list"),
    path("new/", views.session_new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("figures/", views.figures, name="figures"),
    path("<int:session_id>/", views.session_detail, name="detail"),
    path("<int:session_id>/edit/", views.session_edit, name="edit"),
    path("<int:session_id>/control/", views.control, name="control"),
    path("<int:session_id>/panelists/", views.panelist_add, name="panelist_add"),
    path(
        "<int:session_id>/panelists/<int:panelist_id>/remove/",
        views.panelist_remove,
        name="panelist_remove",
    ),
    path("<int:session_id>/questions/", views.question_register, name="register"),
    path("<int:session_id>/<slug:action>/", views.session_action, name="session_action"),
    path(
        "questions/<int:question_id>/<slug:action>/",
        views.question_action,
        name="question_action",
    ),
]
