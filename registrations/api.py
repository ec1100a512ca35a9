"""JSON API: Passes, bookings and waitlists (flask-smorest: schema.load → service → schema.dump)."""
from flask_smorest import Blueprint

blp = Blueprint("registrations_api", __name__, description="Passes, bookings and waitlists")
