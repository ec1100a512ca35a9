"""Registrations' services: sign-up and passes, bookings and waitlists, attendee lists.

Plain values in; they flush and emit outbox messages; the caller commits.
`cancel_session_bookings(session_id)` is what the workers run on `session.cancelled`.
"""
from registrations.services.attendees import festival_attendees_csv, session_attendees_csv
from registrations.services.bookings import (
    book,
    book_with_manage_token,
    booking_of_pass,
    cancel_booking,
    cancel_booking_by_organiser,
    cancel_session_bookings,
    festival_id_of_booking,
    find_session,
    move_booking,
    promote_waitlist,
    session_bookings,
    set_capacity,
    waitlist_position,
)
from registrations.services.passes import (
    cancel_pass,
    links,
    pass_for_feed_token,
    pass_for_manage_token,
    sign_up,
)

__all__ = [
    "book",
    "book_with_manage_token",
    "cancel_booking",
    "cancel_booking_by_organiser",
    "cancel_pass",
    "cancel_session_bookings",
    "festival_attendees_csv",
    "festival_id_of_booking",
    "find_session",
    "links",
    "move_booking",
    "pass_for_feed_token",
    "pass_for_manage_token",
    "promote_waitlist",
    "session_attendees_csv",
    "session_bookings",
    "set_capacity",
    "sign_up",
    "waitlist_position",
]
