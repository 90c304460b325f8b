"""WSGI entry of the django-helpdesk peer site (served by gunicorn as "wsgi:application")."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

application = get_wsgi_application()
