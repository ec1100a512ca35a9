"""Visitors' passes, their families, workshop bookings and waitlists."""
