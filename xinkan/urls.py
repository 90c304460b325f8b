from django.urls import include, path
from django.views.i18n import JavaScriptCatalog, set_language

from xinkan.admin_site import admin_site
from xinkan.web.views.health import healthz, healthz_full

urlpatterns = [
    path("", include("xinkan.web.urls")),
    path("accounts/", include("xinkan.accounts.urls")),
    path("audit/", include("xinkan.audit.urls")),
    path("residents/", include("xinkan.residents.urls")),
    path("matters/", include("xinkan.matters.urls")),
    path("mediation/", include("xinkan.mediation.urls")),
    path("volunteers/", include("xinkan.volunteers.urls")),
    path("aid/", include("xinkan.aid.urls")),
    path("metrics/", include("xinkan.metrics.urls")),
    path("hotspots/", include("xinkan.hotspots.urls")),
    path("square/", include("xinkan.square.urls")),
    path("portal/square/", include("xinkan.square.public_urls")),
    path("portal/", include("xinkan.portal.urls")),
    path("", include("xinkan.api.urls")),  # /api/v1/ and /open311/v2/
    path("admin/", admin_site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("i18n/catalog.js", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", healthz, name="healthz"),
    path("healthz/full", healthz_full, name="healthz_full"),
]

handler400 = "xinkan.web.views.errors.bad_request"
handler403 = "xinkan.web.views.errors.permission_denied"
handler404 = "xinkan.web.views.errors.page_not_found"
handler500 = "xinkan.web.views.errors.server_error"
