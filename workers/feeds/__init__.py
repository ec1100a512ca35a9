"""iCalendar feeds: built by workers when the programme or bookings change, served as stored."""
