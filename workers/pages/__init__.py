"""The workers' page on one blueprint: /admin/jobs (workers/pages/admin.py)."""
from pathlib import Path

from flask import Blueprint

from workers.pages import admin

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)  # templates/ live in the package

bp = Blueprint("workers", __name__, root_path=PACKAGE_DIR, template_folder="templates")
bp.register_blueprint(admin.bp)
