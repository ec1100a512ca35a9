"""The console's programme import: upload, dry run, apply, and progress for large files."""
from flask import render_template

from events.console_views import console_festival_for, organiser_page


@organiser_page
def console_import(slug):
    festival = console_festival_for(slug)
    return render_template("events/console/import.html", festival=festival)


def register(bp):
    bp.add_url_rule("/organiser/festivals/<slug>/import", "console_import", console_import, methods=["GET", "POST"])
