"""Celery wiring: Redis broker in production; in-process (eager) when REDIS_URL is unset."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinkan.settings")

app = Celery("xinkan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
