"""Who in a party takes a seat in a session, and how many seats a session has free.

The one owner of both rules (docs/booking-rules.md): bookings, waitlist promotion,
moves, capacity changes and walk-ins admitted at a session door all ask here, and
all of them under the session's row lock (services/locks.py), so a seat a walk-in
took is never sold online again, and the other way round.
"""
from dataclasses import dataclass

from app.errors import N_, DomainError
from events.vocabulary import AGE_GROUPS
from registrations.services.locks import lock_session

CHILD = "child"
# Who can accompany children in a children's workshop: a grown-up, not an older sibling.
GROWN_UPS = ("adult", "senior")


@dataclass(frozen=True)
class Person:
    name: str
    age_group: str
    companion: bool = False  # seated as the adult accompanying the children


def is_for_children(session):
    """A children's workshop: it is for children and not for grown-ups."""
    groups = session.age_groups or ()
    return CHILD in groups and not any(group in groups for group in GROWN_UPS)


def _groups(session):
    # A session that names no age group is for everyone.
    return tuple(session.age_groups or AGE_GROUPS)


def seated_people(pass_, session):
    """The people of a pass whom the session seats, holder first: those in its age groups, and,
    in a children's workshop whose organiser counts the accompanying adult, one grown-up."""
    groups = _groups(session)
    everyone = [Person(pass_.name, pass_.age_group), *(Person(m.name, m.age_group) for m in pass_.party)]
    seated = [person for person in everyone if person.age_group in groups]
    if seated and session.adult_takes_seat and is_for_children(session):
        grown_up = next((person for person in everyone if person.age_group in GROWN_UPS), None)
        if grown_up is not None:
            seated.append(Person(grown_up.name, grown_up.age_group, companion=True))
    return seated


@dataclass(frozen=True)
class SeatRule:
    """Who a session's seats are for, as the booking pages say it before the visitor taps."""

    age_groups: tuple  # empty: everyone
    for_children: bool
    adult_takes_seat: bool


def rule(session):
    children = is_for_children(session)
    return SeatRule(tuple(session.age_groups or ()), children, children and session.adult_takes_seat)


def seats_for(pass_, session):
    """How many seats the pass's party may take in the session (0: nobody it is for)."""
    return len(seated_people(pass_, session))


def ensure_seats_allowed(pass_, session, seats):
    """422 `age_group` when nobody in the party is one the session is for, or when more seats
    are asked for than the party has people the session is for."""
    allowed = seats_for(pass_, session)
    if allowed == 0:
        raise DomainError(
            "age_group", N_("Nobody on your pass is in the age groups this session is for."),
            field="session_id", status=422, age_groups=list(session.age_groups or ()), seats_allowed=0,
        )
    if seats > allowed:
        raise DomainError(
            "age_group", N_("This session seats %(n)s of your party, by its age groups: book no more seats."),
            params={"n": allowed},
            field="seats", status=422, age_groups=list(session.age_groups or ()), seats_allowed=allowed,
        )
    return allowed


def seats_free(session):
    """Seats neither confirmed to a booking nor taken by a walk-in at the door.

    The caller holds the session's lock (lock_session), so the counters are current
    and stay so until it commits. Negative when a capacity was lowered below them."""
    return session.capacity - session.seats_confirmed - session.walk_in_seats


def walk_in(session_id, pass_, *, take=True):
    """Seat a pass's party at the door of a session without a booking, if its seats are free.

    Returns the seats taken (0: nobody the session is for, or not enough seats free).
    With take=False (a rehearsal scan) it answers the same and takes nothing."""
    session = lock_session(session_id, field=None)
    seats = seats_for(pass_, session)
    if seats == 0 or seats_free(session) < seats:
        return 0
    if take:
        session.walk_in_seats += seats
    return seats
