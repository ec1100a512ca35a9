"""A published programme stored rendered, with its seats held apart and merged in live.

Rendering a 1,000-session programme (or a 250-session day of the page) costs far more
than reading it: each request used to build it again. Here a rendering is stored under a
key made of the programme's state without its seats (events/programme_version.py:
api_versions and page_versions), so a programme change makes a new key, never a race with
an invalidation. The seats, which every booking moves, are not in the stored body: it is
kept as the bytes between the seat places (`parts`) and what each place needs (`slots`),
and an answer reads the live seat counters in one small query and fills the places in.

Two places keep a rendering: Redis, where every gunicorn node finds what another one
stored, and this process (`kept`), so that a request neither fetches nor decodes a
megabyte. The process also keeps each filled answer under its validator, the state with
its seats: while neither the programme nor a seat moves, an answer is a ready bytes object
and costs only the version's queries. Nothing is ever invalidated, since a key is a state:
a change on any node is a new key everywhere at once, and old entries fall out of a
small bounded memory (KEEP_BYTES) as newer ones come in.

Redis is a cache here, never the truth: when it is down or answers nonsense, the answer is
rendered from the database as before, and Redis is left alone for a few seconds so that a
hung server does not cost every request its timeout.
"""
import gzip
import json
import logging
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field

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
# What one process keeps of renderings and answers: a 1,000-session API answer is about
# 1.1 MB and a 250-session page day 0.6 MB, so a busy festival's programme, its days in
# both languages and their answers fit, and a gunicorn worker stays small.
KEEP_BYTES = 32 * 1024 * 1024
# The fastest level: 1.1 MB of programme JSON in about 4 ms to 42 KB (level 6: 10 ms, 25 KB).
GZIP_LEVEL = 1
# Below a network packet or so, gzip saves nothing worth its header.
GZIP_FROM_BYTES = 1400


@dataclass
class Rendering:
    """A body cut at its seat places: len(parts) == len(slots) + 1, parts in UTF-8.

    memo: what a fill may keep between fills of this rendering (the page keeps its seat lines, the
    same bytes for the same seats), never part of the body's identity; a fill limits its own size.
    """

    parts: list
    slots: list
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def fill(self, fill_slot):
        """The body (bytes) with fill_slot(slot) (bytes) at each place."""
        pieces = [self.parts[0]]
        for slot, part in zip(self.slots, self.parts[1:]):
            pieces.append(fill_slot(slot))
            pieces.append(part)
        return b"".join(pieces)

    def size(self):
        return sum(len(part) for part in self.parts) + 64 * len(self.slots)


class Kept:
    """What this process keeps, least recently used first out, within a budget of bytes.

    gunicorn's threads share it, hence the lock; what it holds is never changed in place.
    """

    def __init__(self, budget):
        self.budget = budget
        self._items = OrderedDict()  # key -> (value, size)
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key, value, size):
        if size > self.budget:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.budget:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self):
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self):
        return len(self._items)


kept = Kept(KEEP_BYTES)


class Turns:
    """One thread of this process fills a given answer; the others that want it wait, then take it.

    Every seat change names a new answer, and each of gunicorn's threads asking for it right then
    would fill its own copy of the same bytes (a 250-session page's seat lines, a megabyte
    gzipped): with 20 seat changes a second that repeated work took about a fifth of the page's
    throughput (docs/benchmarks.md). Only threads wanting the same name wait for each other.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._turns = {}  # name -> [its lock, how many threads hold or wait for it]

    @contextmanager
    def turn(self, name):
        with self._lock:
            entry = self._turns.get(name)
            if entry is None:
                entry = self._turns[name] = [threading.Lock(), 0]
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._turns[name]

    def __len__(self):
        return len(self._turns)


turns = Turns()


@dataclass
class Answer:
    """An answer's bytes, gzipped (Content-Encoding: gzip) or as they are."""

    body: bytes
    gzipped: bool = False


def stored_answer(kind, festival_id, versions, build, fill, gzip_ok=False):
    """The Answer named by versions = (validator, body key): kept by this process, else filled and kept.

    build() renders the body cut at its seat places (a Rendering); fill(rendering) returns the
    answer's bytes with the seats as they are now. The validator names the seats as well as
    the programme, and it is read before the seats are: a kept answer is never older than the
    state its validator names, so a booking committed before a request is in its answer.
    gzip_ok: the caller takes gzip. The gzipped answer is kept too: compressed once per
    version, not once per request by the reverse proxy (a 1,000-session answer: 1.1 MB to 42 KB).
    """
    validator, body_key = versions
    name = ("answer", kind, festival_id, validator, body_key)
    answer = _kept_answer(name, gzip_ok)
    if answer is not None:
        return answer
    with turns.turn(name):
        # A thread that waited finds what the one before it filled.
        answer = _kept_answer(name, gzip_ok)
        if answer is not None:
            return answer
        body = kept.get(name)
        if body is None:
            body = fill(stored(kind, festival_id, body_key, build))
            kept.put(name, body, len(body))
        if not gzip_ok or len(body) < GZIP_FROM_BYTES:
            return Answer(body)
        packed = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        kept.put(("gzip", *name), packed, len(packed))
        return Answer(packed, gzipped=True)


def _kept_answer(name, gzip_ok):
    """The Answer this process keeps under `name`, in the coding the caller takes; None if it must be made."""
    if gzip_ok:
        packed = kept.get(("gzip", *name))
        if packed is not None:
            return Answer(packed, gzipped=True)
    body = kept.get(name)
    if body is not None and (not gzip_ok or len(body) < GZIP_FROM_BYTES):
        return Answer(body)
    return None


def stored(kind, festival_id, key, build):
    """The rendering stored under (kind, festival, key): kept here, else from Redis, else build() stored in both."""
    name = f"programme:{kind}:{festival_id}:{key}"
    rendering = kept.get(name)
    if rendering is not None:
        return rendering
    rendering = _from_redis(name)
    if rendering is None:
        rendering = build()
        blob = json.dumps(
            {"parts": [part.decode("utf-8") for part in rendering.parts], "slots": rendering.slots}, ensure_ascii=False
        )
        _redis_call(lambda redis: redis.set(name, blob.encode("utf-8"), ex=KEEP_SECONDS))
    kept.put(name, rendering, rendering.size())
    return rendering


def _from_redis(name):
    blob = _redis_call(lambda redis: redis.get(name))
    if blob is None:
        return None
    try:
        data = json.loads(blob)
        return Rendering([part.encode("utf-8") for part in data["parts"]], data["slots"])
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("unreadable stored programme %s: rendered again", name)
        return None


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
        parts.append((before + text[:-1] + ",").encode("utf-8"))
        slots.append(payload["id"])
        before = "},"
    parts.append((("}" if slots else "[") + "]").encode("utf-8"))
    return Rendering(parts, slots)


def api_body(rendering, festival_id):
    """The stored API answer (bytes) with the seats as they are now."""
    seats = live_seats(festival_id)
    no_seats = b'"seats_left":null,"waitlist_length":0'

    def fill(session_id):
        left, waiting = seats.get(session_id, NO_SEATS)
        if left is None and not waiting:
            return no_seats
        return b'"seats_left":%s,"waitlist_length":%d' % (b"null" if left is None else b"%d" % left, waiting)

    return rendering.fill(fill)


def programme_answer(festival, filters, versions, payload, gzip_ok=False):
    """The API Answer: the published programme's stored answer (a draft's is built each time), live seats.

    festival and versions: from events.programme_version.api_versions (a FestivalRow, and the
    validator and body key); `payload` turns a session into its JSON object
    (events.schemas.session_payload); gzip_ok: the caller takes gzip (a draft's answer is left
    to the reverse proxy).
    """

    def build():
        return api_rendering(payload(session) for session in programme(festival.loaded(), **filters))

    if not festival.is_published:
        return Answer(api_body(build(), festival.id))
    return stored_answer("api", festival.id, versions, build, lambda rendering: api_body(rendering, festival.id),
                         gzip_ok)


def takes_gzip(request):
    """The request accepts gzip (Accept-Encoding, a quality above 0): phones and browsers do."""
    return request.accept_encodings.quality("gzip") > 0


def answer_response(answer, mimetype):
    """The response of an Answer: its bytes as they are, Content-Encoding and Content-Length set."""
    response = current_app.response_class(answer.body, mimetype=mimetype)
    if answer.gzipped:
        response.headers["Content-Encoding"] = "gzip"
    return response
