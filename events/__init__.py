"""The programme: cities, festivals, venues, sessions and booths."""
