import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connecting.settings")

application = get_wsgi_application()
# What loading the app made lives as long as the worker: keep it out of every later collection,
# which would otherwise walk those objects again on each full pass (pauses in the slowest requests).
gc.freeze()
