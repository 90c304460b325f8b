from django.urls import re_path

from xinkan.api.open311 import views

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, views.service_list, name="open311-services"),
    re_path(r"^services/(?P<code>[^/]+?)" + FMT, views.service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, views.requests, name="open311-requests"),
    re_path(
        r"^requests/(?P<request_id>[^/]+?)" + FMT, views.request_detail, name="open311-request"
    ),
    re_path(r"^tokens/(?P<token>[^/]+?)" + FMT, views.token_lookup, name="open311-token"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="open311-unknown"),
]
