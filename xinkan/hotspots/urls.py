from django.urls import path

from xinkan.hotspots import views

app_name = "hotspots"
urlpatterns = [
    path("", views.hotspot_list, name="list"),
    path("panel/", views.hotspot_panel, name="panel"),
    path("<int:hotspot_id>/", views.hotspot_detail, name="detail"),
    path("<int:hotspot_id>/act/", views.hotspot_act, name="act"),
    path("<int:hotspot_id>/campaign/", views.hotspot_campaign, name="start_campaign"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/note/", views.campaign_note, name="campaign_note"),
    path("campaigns/<int:campaign_id>/add/", views.campaign_add_matter, name="campaign_add"),
]
