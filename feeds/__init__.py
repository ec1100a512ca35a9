"""Feeds: iCalendar bodies of the programme, a venue and a visitor's agenda, built when things change and served as stored."""
