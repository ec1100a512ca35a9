"""Pages of the team: the console's Team pages, the invitation page and the password reset pages."""
from flask import Blueprint

from teams.pages import link_pages, team_pages

bp = Blueprint("teams", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static/teams")

team_pages.register(bp)
link_pages.register(bp)
