# gunicorn reads this file from the directory it starts in (docs/deploy.md).
# The threaded worker, stopping without resetting connections already accepted (app/serving.py).
worker_class = "app.serving.DrainingThreadWorker"
# SIGTERM: requests in flight (and those already accepted) get this long to be answered.
graceful_timeout = 30
