from django.urls import path

from xinkan.matters.views import (
    actions,
    attachments,
    companions,
    detail,
    intake,
    lookup,
    notifications,
    worklist,
)

app_name = "matters"

urlpatterns = [
    path("", worklist.worklist_view, name="worklist"),
    path("bulk-dispatch/", worklist.bulk_dispatch_view, name="bulk_dispatch"),
    path("new/", intake.intake_view, name="intake"),
    path("lookup/residents/", lookup.resident_lookup, name="resident_lookup"),
    path("accompanied/", companions.accompanied_view, name="accompanied"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("attachments/<int:attachment_id>/", attachments.attachment_download, name="attachment"),
    path("<int:matter_id>/", detail.matter_detail, name="detail"),
    path("<int:matter_id>/<slug:action>/", actions.matter_action, name="action"),
]
