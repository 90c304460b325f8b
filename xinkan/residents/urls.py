from django.urls import path

from xinkan.residents import views

app_name = "residents"

urlpatterns = [
    path("", views.resident_list, name="list"),
    path("find/", views.resident_find, name="find"),
    path("visits-due/", views.visits_due_view, name="visits_due"),
    path("needs/", views.needs_view, name="needs"),
    path("colours/", views.colour_overview, name="colours"),
    path("<int:resident_id>/", views.resident_detail, name="detail"),
    path("<int:resident_id>/reveal/", views.resident_reveal, name="reveal"),
    path("<int:resident_id>/colours/", views.colour_add, name="colour_add"),
    path("<int:resident_id>/colours/end/", views.colour_end, name="colour_end"),
    path("<int:resident_id>/visits/", views.visit_add, name="visit_add"),
    path("<int:resident_id>/needs/", views.need_add, name="need_add"),
    path("<int:resident_id>/needs/close/", views.need_close, name="need_close"),
]
