"""People who run festivals: admins, organisers, staff and city teams, and their API tokens."""
import hashlib
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app import generations
from app.audit import audited
from app.database import UTCDateTime, db, now_utc
from app.errors import Invalid, N_

ADMIN, ORGANISER, STAFF, CITY_TEAM = "admin", "organiser", "staff", "city-team"
ROLES = (ADMIN, ORGANISER, STAFF, CITY_TEAM)
TOKEN_PREFIX = "tsk_"


@audited(city=lambda session, user: user.city_id, secrets=("password_hash",))
class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    role: Mapped[str] = mapped_column(sa.String(20))
    # Every role but admin belongs to one city. Cities are the events package's: it
    # declares the foreign key (events/models.py), so that app/ names no domain.
    city_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(256), nullable=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    last_sign_in_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    # Set when a city removes the member (the teams package); the row stays for the audit log.
    removed_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    # Part of the console cookie's user id: raising it ends every console session at once
    # (a removal, a password reset), since a cookie carrying the old value no longer loads.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_epoch or 0}"

    @property
    def is_admin(self):
        return self.role == ADMIN

    def may_act_in(self, city_id):
        return self.is_admin or (city_id is not None and self.city_id == city_id)

    def check_password(self, password):
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Only a hash is kept: a leaked database does not leak working tokens.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[object] = mapped_column(UTCDateTime, default=now_utc)
    last_used_at: Mapped[object | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="tokens")


def hash_token(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def create_user(email, role, *, city_id=None, name="", password=None):
    email = (email or "").strip().lower()
    if "@" not in email:
        raise Invalid("email", N_("Not a valid email address."))
    if role not in ROLES:
        raise Invalid("role", N_("Role must be one of: %(words)s."), params={"words": list(ROLES)}, code="invalid_choice")
    if role != ADMIN and city_id is None:
        raise Invalid("city", N_("A %(role)s belongs to one city: give --city."), params={"role": role}, code="required")
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise Invalid("email", N_("A user with this email exists already."), code="duplicate")
    user = User(email=email, role=role, city_id=None if role == ADMIN else city_id, name=name)
    if password:
        user.password_hash = generate_password_hash(password)
    db.session.add(user)
    db.session.flush()
    return user


def issue_token(user, label="cli"):
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=hash_token(raw), label=label))
    db.session.flush()
    return raw


# One statement, built once: every API call (each gate scan) pays for this lookup, and building a
# statement costs more CPU than its round trip.
_USER_BY_TOKEN = (
    sa.select(User).join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"), ApiToken.revoked.is_(False), User.active.is_(True))
)


def user_for_token(raw):
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    return db.session.scalar(_USER_BY_TOKEN, {"token_hash": hash_token(raw)})


_BESIDE = {}  # key -> _USER_BY_TOKEN with what app.access reads beside the user, built once
_EXTENDERS = {}  # key -> extend(select) -> select, registered at import (app.access.city_resolver)

# A gate phone calls several times a second with the same token at the same checkpoint. Who the
# token names, and what app.access reads beside it (the checkpoint, its festival and city), are
# kept per process under a generation (app/generations.py, read with the scan's other one in one
# Redis round trip); a commit that changes a user, a token or any row such a reading loads
# replaces it (below), so that a revoked token, a removed member or new opening hours are seen
# by the next call in every process. Only full readings are kept: a new token or checkpoint is
# read from the database at once.
CALLERS_GENERATION = generations.register("users:callers:generation")
# If Redis did not answer when such a row changed, the token stayed: a kept reading is read again
# after this long all the same, so a revocation missed that way still holds within seconds.
KEEP_SECONDS = 10
KEEP_AT_MOST = 5_000  # readings per process (a phone per token and checkpoint it scans at): a few MB at most
_CALLERS = "thetsakan_callers"  # app.extensions: (token hash, key, parameters) -> (generation, kept at, reading)
_HELD = "users.callers_held"


def read_beside(key, extend):
    """Declare what user_for_token_beside(raw, key, ...) reads beside the user (at import), so that
    every process, also one that never reads it, knows which tables' changes a kept reading depends on."""
    _EXTENDERS[key] = extend


def _beside_statement(key):
    statement = _BESIDE.get(key)
    if statement is None:
        statement = _BESIDE[key] = _EXTENDERS[key](_USER_BY_TOKEN)
    return statement


_watched = []  # [(number of readings declared, the tables they read)], worked out at the first flush


def _watched_tables():
    if not _watched or _watched[0][0] != len(_EXTENDERS):
        tables = {"users", "api_tokens"}
        for key in list(_EXTENDERS):
            tables.update(description["entity"].__table__.name
                          for description in _beside_statement(key).column_descriptions
                          if description.get("entity") is not None)
        _watched[:] = [(len(_EXTENDERS), frozenset(tables))]
    return _watched[0][1]


# A new user, token or checkpoint changes no kept reading: only full readings are kept.
generations.watch(CALLERS_GENERATION, _watched_tables, new_rows=False)


def user_for_token_beside(raw, key, params):
    """user_for_token, and in the same round trip what read_beside(key, extend) adds beside the user
    (`params` bind what it adds): (user, the added values), or (None, ()) when the token names no
    active user. app.access reads a URL resource's city so.

    A full reading is kept (above) and given to the next call in its session without SQL."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None, ()
    statement = _beside_statement(key)
    token_hash = hash_token(raw)
    row, was_kept = generations.kept(
        CALLERS_GENERATION, _CALLERS, (token_hash, key, tuple(sorted(params.items()))),
        lambda: db.session.execute(statement, {**params, "token_hash": token_hash}).first(),
        seconds=KEEP_SECONDS, at_most=KEEP_AT_MOST, stored=_detached,
        worth=lambda row: row is not None and all(value is not None for value in row),
    )
    if row is None:
        return None, ()
    if was_kept:
        row = _into_session(row)
    return row[0], tuple(row[1:])


def _detached(row):
    """Copies of the row's objects that belong to no session (made without SQL), to be merged into
    later requests' sessions: the objects themselves stay the request's, which may change them."""
    copies = Session()
    try:
        return tuple(copies.merge(value, load=False) if _is_mapped(value) else value for value in row)
    finally:
        copies.expunge_all()


def _into_session(kept):
    """The kept reading's objects, merged into the request's session without SQL (as if just read)."""
    session = db.session()
    row = tuple(session.merge(value, load=False) if _is_mapped(value) else value for value in kept)
    # The identity map holds objects weakly: keep these for the session's life, as a read would be kept
    # by whoever asked (app.access keeps only the city, the view gets the checkpoint by its id).
    session.info.setdefault(_HELD, []).extend(row)
    return row


def _is_mapped(value):
    return hasattr(value, "_sa_instance_state")


def user_for_session(user_id):
    """Flask-Login's loader: the user of a console cookie, unless removed or signed out everywhere since."""
    ident, _, epoch = str(user_id).partition(":")
    if not ident.isdigit() or not epoch.isdigit() or int(ident) > 2**31 - 1:
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or (user.session_epoch or 0) != int(epoch):
        return None
    return user


def authenticate(email, password):
    user = db.session.scalar(sa.select(User).where(User.email == (email or "").strip().lower()))
    if user and user.active and user.check_password(password or ""):
        return user
    return None
