from django.urls import path

from xinkan.metrics import views, views_reports

app_name = "metrics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.cases, name="cases"),
    path("rankings/", views.rankings, name="rankings"),
    path("reports/", views_reports.reports, name="reports"),
    path("reports/<int:report_id>/", views_reports.report_status, name="report_status"),
    path("reports/<int:report_id>/download/", views_reports.download, name="report_download"),
]
