from django.urls import path

from xinkan.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("submit/", views.submit, name="submit"),
    path("submitted/", views.submitted, name="submitted"),
    path("track/", views.track, name="track"),
    path("matter/", views.matter_view, name="matter"),
    path("matter/rate/", views.rate, name="rate"),
    path("matter/review/", views.review, name="review"),
    path("leave/", views.leave, name="leave"),
]
