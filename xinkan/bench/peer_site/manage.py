#!/usr/bin/env python
"""Management commands of the django-helpdesk peer site (run with the peer's interpreter)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
