"""WSGI entry point (gunicorn examsite.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examsite.settings")

application = get_wsgi_application()
