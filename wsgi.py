"""The WSGI entry point for gunicorn: `gunicorn -c gunicorn.conf.py wsgi:app`."""

import gc

from portal import create_app

app = create_app()
# Modules, mappers and compiled templates live as long as the worker: move them out of the
# collector's generations, so a full collection walks only what requests made (measured: one
# full collection cost ~100 ms in a worker serving the large data; none after freezing).
gc.freeze()
