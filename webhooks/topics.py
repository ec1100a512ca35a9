"""The topics partners may subscribe to, and which outbox messages become which topic.

The outbox speaks the house's own language (session.moved, session.cancelled ...);
partners get the stable names of the contract. This table is the one owner of that
translation: workers.dispatch reads it to know which messages concern webhooks.
"""
TOPICS = (
    "pass.created",
    "pass.cancelled",
    "booking.confirmed",
    "booking.waitlisted",
    "booking.promoted",
    "booking.cancelled",
    "session.changed",
    "scan.admitted",
    "report.finished",
)

# outbox topic -> the partner's topic
FROM_OUTBOX = {
    "pass.created": "pass.created",
    "pass.cancelled": "pass.cancelled",
    "booking.confirmed": "booking.confirmed",
    "booking.waitlisted": "booking.waitlisted",
    "booking.promoted": "booking.promoted",
    "booking.cancelled": "booking.cancelled",
    "session.moved": "session.changed",
    "session.cancelled": "session.changed",
    "session.capacity_changed": "session.changed",
    "scan.admitted": "scan.admitted",
    "report.finished": "report.finished",
}

# Sent by "Send a test event" in the console; never part of a subscription.
TEST_TOPIC = "webhook.test"
