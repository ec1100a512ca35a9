# gunicorn reads this file from the directory it starts in, so a plain `gunicorn wsgi:app`
# gets the same settings as `-c python:app.gunicorn_conf`, their one owner (docs/deploy.md).
from app.gunicorn_conf import *  # noqa: F401,F403
