"""The workers' page on one blueprint: /admin/jobs (workers/pages/admin.py)."""
from app.blueprints import pages_blueprint
from workers.pages import admin

bp = pages_blueprint("workers", __name__)
bp.register_blueprint(admin.bp)
