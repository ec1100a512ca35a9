"""Gunicorn settings and hooks for a web node: `gunicorn -c python:app.gunicorn_conf wsgi:app` (docs/deploy.md).

The metric files of an earlier run of this node are removed before its processes count
(app/metrics.py); each gunicorn worker writes its own as "web-<pid>". The files of a
worker gunicorn replaced (--max-requests, a crash) stay, so its counts still add up.
"""
from app import metrics

# The threaded worker, stopping without resetting connections already accepted (app/serving.py).
worker_class = "app.serving.DrainingThreadWorker"
# SIGTERM: requests in flight (and those already accepted) get this long to be answered.
graceful_timeout = 30


def on_starting(server):
    metrics.forget(("web",))


def post_fork(server, worker):
    metrics.set_role("web")
