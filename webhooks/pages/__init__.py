"""Pages: the organiser's webhooks console (/organiser/cities/{slug}/webhooks, webhooks/pages/console.py)."""
from pathlib import Path

from flask import Blueprint

from webhooks.pages import console

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)  # templates/ and static/ live in the package

bp = Blueprint("webhooks", __name__, root_path=PACKAGE_DIR, template_folder="templates", static_folder="static",
               static_url_path="/static/webhooks")

console.register(bp)
