from django.urls import path

from xinkan.volunteers import views

app_name = "volunteers"

urlpatterns = [
    path("", views.volunteer_list, name="list"),
    path("new/", views.volunteer_new, name="new"),
    path("teams/", views.teams_view, name="teams"),
    path("teams/<int:team_id>/members/", views.team_members, name="team_members"),
    path("<int:volunteer_id>/", views.volunteer_detail, name="detail"),
    path("<int:volunteer_id>/hours/", views.hours_add, name="hours_add"),
    path("<int:volunteer_id>/hours/correct/", views.hours_correct, name="hours_correct"),
]
