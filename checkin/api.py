"""JSON API: Checkpoints and scans (flask-smorest: schema.load → service → schema.dump)."""
from flask_smorest import Blueprint

blp = Blueprint("checkin_api", __name__, description="Checkpoints and scans")
