"""URLs of the django-helpdesk peer site: the helpdesk at the root, as its docs describe."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("helpdesk.urls", namespace="helpdesk")),
]
