"""Figures for operators (app/metrics.py): the mail ledger, read from the database on each scrape.

The ledger (mail/services/ledger.py) is the truth about mail on every worker machine: `sent`
(the server took it), `refused` (it did not; retried), `sending` (uncertain: a worker died
while the data was on the wire), `claimed` (on its way).
"""
import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from app import metrics
from app.database import db
from mail.models import CLAIMED, REFUSED, SENDING, SENT, SentMessage


@metrics.add_collector
def mail_metrics():
    family = GaugeMetricFamily("thetsakan_mails", "Mails in the ledger by status (sent, refused, sending, claimed).",
                               labels=["status"])
    counts = dict(db.session.execute(sa.select(SentMessage.status, sa.func.count()).group_by(SentMessage.status)).all())
    for status in (CLAIMED, SENDING, SENT, REFUSED):
        family.add_metric([status], counts.get(status, 0))
    return [family]
