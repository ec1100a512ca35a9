"""Attendance reports for city teams and the network summary (reads events, registrations, checkin)."""
