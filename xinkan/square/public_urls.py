"""The square's public pages, mounted with the portal (/portal/square/)."""

from django.urls import path

from xinkan.square import public_views

app_name = "square_public"

urlpatterns = [
    path("", public_views.session_list, name="list"),
    path("summary/", public_views.summary, name="summary"),
    path("<int:session_id>/", public_views.session_page, name="session"),
    path("<int:session_id>/ask/", public_views.ask, name="ask"),
    path("<int:session_id>/asked/", public_views.asked, name="asked"),
    path("<int:session_id>/live/", public_views.live, name="live"),
    path("<int:session_id>/live/panel/", public_views.live_panel, name="live_panel"),
    path("<int:session_id>/results/", public_views.results, name="results"),
]
