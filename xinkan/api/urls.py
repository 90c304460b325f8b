"""Mounted by xinkan/urls.py: /api/v1/ (REST) and /open311/v2/ (GeoReport v2)."""

from django.urls import include, path

from xinkan.api.api import urlpatterns as api_patterns

urlpatterns = [
    path("api/v1/", include((api_patterns(), "api"), namespace="api")),
    path("open311/v2/", include("xinkan.api.open311.urls")),
]
