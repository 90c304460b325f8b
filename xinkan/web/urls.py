from django.urls import path

from xinkan.web.views import home, units

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("units/", units.unit_list, name="units"),
    path("units/<int:unit_id>/", units.unit_detail, name="unit"),
]
