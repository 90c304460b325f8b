from django.urls import path

from xinkan.mediation import views

app_name = "mediation"

urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("new/", views.dispute_new, name="new"),
    path("calendar/", views.station_calendar, name="calendar"),
    path("figures/", views.figures_view, name="figures"),
    path("clients/", views.clients_view, name="clients"),
    path("<int:dispute_id>/", views.dispute_detail, name="detail"),
    path("<int:dispute_id>/agreement.pdf", views.agreement_download, name="agreement"),
    path("<int:dispute_id>/<slug:action>/", views.dispute_action, name="action"),
]
