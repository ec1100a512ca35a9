"""Pages: Checkpoints and scans."""
from flask import Blueprint

bp = Blueprint("checkin", __name__, template_folder="templates")
