"""gunicorn settings for production; see README's "Deploying" section."""

import multiprocessing
import os

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 30
max_requests = 2000  # recycle workers now and then, so a slow leak cannot grow for ever
max_requests_jitter = 200
accesslog = "-"
# No request bodies or query strings in the access log: they can carry personal data.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss'
# Reset, invitation and calendar tokens in paths are logged as [token] (portal/access_log.py).
logger_class = "portal.access_log.RedactingLogger"
preload_app = False  # each worker opens its own database connections after the fork
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
