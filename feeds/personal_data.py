"""Feeds' part of a visitor's data (app/personal_data.py): their stored agenda ("pass:<id>") is dropped on erasure."""
import sqlalchemy as sa

from app import personal_data
from app.database import db
from feeds.models import Feed
from feeds.services.store import pass_key


@personal_data.eraser("feeds")
def erase_agendas(identities):
    db.session.execute(
        sa.delete(Feed).where(Feed.key.in_([pass_key(identity.pass_id) for identity in identities])),
        execution_options={"synchronize_session": False},
    )
