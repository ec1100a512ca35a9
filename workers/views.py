"""Admin pages about the workers (failed jobs) and the development mailbox."""
from flask import Blueprint

bp = Blueprint("workers", __name__, template_folder="templates")
