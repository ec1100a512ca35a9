"""Visitors at posters (booth visits and self check-in) and the stamp card of a pass."""
import sqlalchemy as sa

from app.database import db
from app.errors import DomainError
from checkin.models import BOOTH, POSTER_SOURCE, SESSION, Admission, Checkpoint
from checkin.posters import checkpoint_for_poster
from checkin.scanning import scan_pass
from events.models import Booth


def visit(pass_, poster_code):
    """A visitor's phone scanned a poster: a booth visit, or self check-in at a session door."""
    checkpoint = checkpoint_for_poster(poster_code)
    if checkpoint.kind == SESSION and not checkpoint.festival.allow_self_checkin:
        raise DomainError("self_checkin_off", "This festival checks visitors in at the door: show your pass to the staff.",
                          status=403)
    return scan_pass(checkpoint, pass_, source=POSTER_SOURCE, device_id="poster"), checkpoint


def stamp_card(pass_):
    """Distinct booths visited (whoever scanned whom), the festival's goal and what remains."""
    rows = db.session.execute(
        sa.select(Booth, sa.func.min(Admission.first_scanned_at))
        .join(Checkpoint, Checkpoint.booth_id == Booth.id)
        .join(Admission, Admission.checkpoint_id == Checkpoint.id)
        .where(Admission.pass_id == pass_.id, Checkpoint.kind == BOOTH, Admission.first_scanned_at.is_not(None))
        .group_by(Booth.id)
        .order_by(sa.func.min(Admission.first_scanned_at))
    ).all()
    goal = max(pass_.festival.stamp_goal or 0, 0)
    visited = [{"booth": booth, "at": at} for booth, at in rows]
    return {
        "visited": visited,
        "count": len(visited),
        "goal": goal,
        "remaining": max(goal - len(visited), 0),
        "complete": goal > 0 and len(visited) >= goal,
    }
