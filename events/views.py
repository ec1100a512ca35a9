"""Public programme pages and the organiser console."""
from flask import Blueprint

bp = Blueprint("events", __name__, template_folder="templates")
