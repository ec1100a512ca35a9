"""A published programme stored rendered, with its seats held apart and merged in live.

Rendering a 1,000-session programme (or a 250-session day of the page) costs far more
than reading it: each request used to build it again. Here a rendering is stored in Redis
under a key made of the programme's state without its seats (events/programme_version.py:
api_versions and page_versions), so a programme change makes a new key, never a race with
an invalidation, and every gunicorn node finds what another one stored. The seats, which
every booking moves, are not in the stored body: it is kept as the text between the seat
places (`parts`) and what each place needs (`slots`), and each answer reads the live seat
counters in one small query and fills the places in.

Redis is a cache here, never the truth: when it is down or answers nonsense, the answer is
rendered from the database as before, and Redis is left alone for a few seconds so that a
hung server does not cost every request its timeout.
"""
import json
import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError

from app.database import db
from app.redis_conn import connection
from events.models import ProgrammeSession, seats_left_of
from events.programme import programme

log = logging.getLogger(__name__)

# Old renderings are never read again once the programme changes: they expire by themselves.
KEEP_SECONDS = 3600
# After a Redis failure, how long requests render without asking it.
REST_SECONDS = 10
_redis_rests_until = 0.0


@dataclass
class Rendering:
    """A body cut at its seat places: len(parts) == len(slots) + 1."""

    parts: list
    slots: list

    def fill(self, fill_slot):
        """The body with fill_slot(slot) at each place."""
        pieces = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:]):
            pieces.append(fill_slot(slot))
            pieces.append(part)
        return "".join(pieces)


def stored(kind, festival_id, key, build):
    """The rendering stored under (kind, festival, key), else build() stored there and returned."""
    name = f"programme:{kind}:{festival_id}:{key}"
    blob = _redis_call(lambda redis: redis.get(name))
    if blob is not None:
        try:
            data = json.loads(blob)
            return Rendering(data["parts"], data["slots"])
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable stored programme %s: rendered again", name)
    rendering = build()
    if rendering is not None:
        blob = json.dumps({"parts": rendering.parts, "slots": rendering.slots}, ensure_ascii=False)
        _redis_call(lambda redis: redis.set(name, blob.encode("utf-8"), ex=KEEP_SECONDS))
    return rendering


def _redis_call(command):
    global _redis_rests_until
    if time.monotonic() < _redis_rests_until:
        return None
    try:
        return command(connection())
    except (RedisError, OSError) as error:
        _redis_rests_until = time.monotonic() + REST_SECONDS
        log.warning("Redis unavailable for the stored programme (%s): rendering from the database", error)
        return None


def live_seats(festival_id, session_ids=None):
    """{session id: (seats_left, waitlist_length)} from the counters as committed now.

    Only sessions with a capacity or a waitlist: any other shows no seats and no waitlist.
    """
    s = ProgrammeSession
    query = sa.select(s.id, s.capacity, s.seats_confirmed, s.walk_in_seats, s.waitlist_length).where(
        s.festival_id == festival_id, sa.or_(s.capacity.is_not(None), s.waitlist_length != 0)
    )
    if session_ids is not None:
        query = query.where(s.id.in_(session_ids))
    return {
        row.id: (seats_left_of(row.capacity, row.seats_confirmed, row.walk_in_seats), row.waitlist_length)
        for row in db.session.execute(query)
    }


# --- the API answer -----------------------------------------------------------------------

NO_SEATS = (None, 0)


def api_rendering(payloads):
    """The JSON array of these session payloads, cut where each one's seats_left and waitlist_length go."""
    provider = current_app.json
    options = {"ensure_ascii": provider.ensure_ascii, "sort_keys": provider.sort_keys, "separators": (",", ":")}
    parts, slots, before = [], [], "["
    for payload in payloads:
        rest = {key: value for key, value in payload.items() if key not in ("seats_left", "waitlist_length")}
        text = json.dumps(rest, **options)
        parts.append(before + text[:-1] + ",")
        slots.append(payload["id"])
        before = "},"
    parts.append(("}" if slots else "[") + "]")
    return Rendering(parts, slots)


def api_body(rendering, festival_id):
    """The stored API answer with the seats as they are now."""
    seats = live_seats(festival_id)

    def fill(session_id):
        left, waiting = seats.get(session_id, NO_SEATS)
        return f'"seats_left":{"null" if left is None else left},"waitlist_length":{waiting}'

    return rendering.fill(fill)


def programme_answer(festival, filters, body_key, payload):
    """The API answer: the published programme's stored rendering (a draft's is built each time) and live seats.

    `payload` turns a session into its JSON object (events.schemas.session_payload).
    """

    def build():
        return api_rendering(payload(session) for session in programme(festival, **filters))

    rendering = stored("api", festival.id, body_key, build) if festival.is_published else build()
    return api_body(rendering, festival.id)
