from django.urls import path

from xinkan.metrics import views

app_name = "metrics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.cases, name="cases"),
    path("rankings/", views.rankings, name="rankings"),
]
