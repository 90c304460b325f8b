from django.urls import path

from xinkan.aid import views

app_name = "aid"

urlpatterns = [
    path("", views.index, name="index"),
    path("drives/new/", views.drive_new, name="drive_new"),
    path("drives/<int:drive_id>/", views.drive_detail, name="drive"),
    path("drives/<int:drive_id>/receive/", views.drive_receive, name="drive_receive"),
    path("drives/<int:drive_id>/give/", views.drive_give, name="drive_give"),
    path("drives/<int:drive_id>/status/", views.drive_status, name="drive_status"),
    path("stations/new/", views.station_new, name="station_new"),
    path("stations/<int:station_id>/", views.station_detail, name="station"),
    path("stations/<int:station_id>/receive/", views.station_receive, name="station_receive"),
    path("stations/<int:station_id>/give/", views.station_give, name="station_give"),
    path("stations/<int:station_id>/open/", views.station_open, name="station_open"),
]
