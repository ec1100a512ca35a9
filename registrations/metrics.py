"""Figures for operators (app/metrics.py): bookings by status, read from the database on each scrape."""
import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from app import metrics
from app.database import db
from registrations.models import Booking


@metrics.add_collector
def booking_metrics():
    family = GaugeMetricFamily("thetsakan_bookings", "Bookings by status, every festival.", labels=["status"])
    for status, count in db.session.execute(sa.select(Booking.status, sa.func.count()).group_by(Booking.status)):
        family.add_metric([status], count)
    return [family]
