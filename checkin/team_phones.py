"""The team's view of scanner phones: which phones each member has paired, and cutting them all off."""
import sqlalchemy as sa

from app.database import db
from app.users import ApiToken
from checkin.models import ScannerDevice
from events.models import Festival
from teams.services import phones


@phones.lister
def working_phones(user_ids):
    if not user_ids:
        return []
    rows = db.session.execute(
        sa.select(ScannerDevice, Festival.name_th, Festival.name_en)
        .join(Festival, Festival.id == ScannerDevice.festival_id)
        .where(ScannerDevice.user_id.in_(user_ids), ScannerDevice.revoked.is_(False))
        .order_by(ScannerDevice.paired_at.desc())
    )
    return [
        phones.Phone(device.id, device.user_id, device.label, name_th, name_en, device.paired_at)
        for device, name_th, name_en in rows
    ]


@phones.revoker
def revoke_phones(user):
    devices = list(db.session.scalars(sa.select(ScannerDevice).where(
        ScannerDevice.user_id == user.id, ScannerDevice.revoked.is_(False))))
    token_ids = [device.api_token_id for device in devices if device.api_token_id is not None]
    for device in devices:
        device.revoked = True
    if token_ids:
        db.session.execute(sa.update(ApiToken).where(ApiToken.id.in_(token_ids)).values(revoked=True)
                           .execution_options(synchronize_session="fetch"))
    db.session.flush()
    return len(devices)
