"""JSON API: attendance reports (flask-smorest: schema.load → service → schema.dump)."""
from flask_smorest import Blueprint

blp = Blueprint("reports_api", __name__, description="Attendance reports")
