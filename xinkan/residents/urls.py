from django.urls import path

from xinkan.residents import views, views_archive, views_import

app_name = "residents"

urlpatterns = [
    path("", views.resident_list, name="list"),
    path("find/", views.resident_find, name="find"),
    path("visits-due/", views.visits_due_view, name="visits_due"),
    path("needs/", views.needs_view, name="needs"),
    path("colours/", views.colour_overview, name="colours"),
    path("import/", views_import.import_page, name="import"),
    path("import/template.xlsx", views_import.import_template, name="import_template"),
    path("import/<int:job_id>/", views_import.import_job, name="import_job"),
    path("import/<int:job_id>/report.csv", views_import.import_report, name="import_report"),
    path("export/", views_import.export_view, name="export"),
    path("households/", views_archive.household_list, name="households"),
    path("households/new/", views_archive.household_new, name="household_new"),
    path("households/<int:household_id>/", views_archive.household_detail, name="household"),
    path("<int:resident_id>/edit/", views_archive.resident_edit, name="edit"),
    path("<int:resident_id>/", views.resident_detail, name="detail"),
    path("<int:resident_id>/reveal/", views.resident_reveal, name="reveal"),
    path("<int:resident_id>/colours/", views.colour_add, name="colour_add"),
    path("<int:resident_id>/colours/end/", views.colour_end, name="colour_end"),
    path("<int:resident_id>/visits/", views.visit_add, name="visit_add"),
    path("<int:resident_id>/needs/", views.need_add, name="need_add"),
    path("<int:resident_id>/needs/close/", views.need_close, name="need_close"),
]
