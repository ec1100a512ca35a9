"""`flask --app wsgi demo load`."""
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="The demo network of Thai learning cities.")
