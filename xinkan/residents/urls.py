from django.urls import path

from xinkan.residents import views

app_name = "residents"

urlpatterns = [
    path("", views.resident_list, name="list"),
    path("<int:resident_id>/", views.resident_detail, name="detail"),
]
