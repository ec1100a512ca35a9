"""JSON API for the programme."""
from flask_smorest import Blueprint

blp = Blueprint("events_api", __name__, description="Cities, festivals, venues, sessions and booths")
