from django.urls import path

from xinkan.volunteers import views, views_own, views_pairings, views_proposals

app_name = "volunteers"

urlpatterns = [
    path("", views.volunteer_list, name="list"),
    path("new/", views.volunteer_new, name="new"),
    path("me/", views_own.my_page, name="me"),
    path("me/certificate/<int:unit_id>.pdf", views_own.my_certificate, name="my_certificate"),
    path("teams/", views.teams_view, name="teams"),
    path("teams/<int:team_id>/members/", views.team_members, name="team_members"),
    path("pairings/", views_pairings.pairing_list, name="pairings"),
    path("proposals/", views_proposals.proposals, name="proposals"),
    path("proposals/accept/", views_proposals.proposal_accept, name="proposal_accept"),
    path("pairings/need/<int:need_id>/", views_pairings.pairing_new, name="pairing_new"),
    path("pairings/<int:pairing_id>/", views_pairings.pairing_detail, name="pairing"),
    path("pairings/<int:pairing_id>/visits/", views_pairings.visit_add, name="visit_add"),
    path(
        "pairings/<int:pairing_id>/visits/<int:visit_id>/certify/",
        views_pairings.visit_certify,
        name="visit_certify",
    ),
    path("pairings/<int:pairing_id>/end/", views_pairings.pairing_end, name="pairing_end"),
    path(
        "pairings/<int:pairing_id>/agreement.pdf",
        views_pairings.agreement_pdf,
        name="agreement_pdf",
    ),
    path("<int:volunteer_id>/", views.volunteer_detail, name="detail"),
    path("<int:volunteer_id>/hours/", views.hours_add, name="hours_add"),
    path("<int:volunteer_id>/account/", views.account_link, name="account_link"),
    path("<int:volunteer_id>/hours/correct/", views.hours_correct, name="hours_correct"),
    path("<int:volunteer_id>/certificate.pdf", views_own.certificate, name="certificate"),
]
