"""Feeds' services: the iCalendar bodies (calendar) and the stored feeds built from the database (store)."""
