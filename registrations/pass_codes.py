"""The QR payload of a pass: compact, signed with the festival's Ed25519 key, no personal data.

Layout (15 bytes, then a 64-byte signature), in uppercase Base32 without padding,
so that it fits a version 6-M QR code in alphanumeric mode:

    version (1) | festival id (4, big-endian) | pass public id (8, random) | serial (2)

checkin/ verifies with the public keys alone, online or in the scanner page.
"""
import base64
import binascii
import secrets
import struct
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat, NoEncryption

from app.database import db
from registrations.models import FestivalKey

VERSION = 1
_LAYOUT = struct.Struct(">BI8sH")
PAYLOAD_BYTES = _LAYOUT.size  # 15
SIGNATURE_BYTES = 64
CODE_LENGTH = 127  # ceil((15 + 64) * 8 / 5)


class InvalidCode(Exception):
    """Unreadable, truncated, altered or not signed by the festival."""


@dataclass(frozen=True)
class PassCode:
    festival_id: int
    public_id: bytes
    serial: int

    @property
    def public_id_hex(self):
        return self.public_id.hex()


def new_public_id():
    return secrets.token_bytes(8)


def festival_key(festival_id):
    """The active signing key, made on first use (one pair per festival)."""
    key = db.session.scalar(
        sa.select(FestivalKey)
        .where(FestivalKey.festival_id == festival_id, FestivalKey.active.is_(True))
        .order_by(FestivalKey.id.desc())
    )
    if key is None:
        private = Ed25519PrivateKey.generate()
        key = FestivalKey(
            festival_id=festival_id,
            private_key=private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
            public_key=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        )
        db.session.add(key)
        db.session.flush()
    return key


def public_keys(festival_id):
    """Every public key that may have signed a live code of this festival (raw 32 bytes each)."""
    return list(db.session.scalars(sa.select(FestivalKey.public_key).where(FestivalKey.festival_id == festival_id)))


def encode(festival_id, public_id, serial, private_key_bytes):
    payload = _LAYOUT.pack(VERSION, festival_id, public_id, serial)
    signature = Ed25519PrivateKey.from_private_bytes(private_key_bytes).sign(payload)
    return base64.b32encode(payload + signature).decode().rstrip("=")


def issue(pass_):
    """The code for a pass as it stands (its current serial)."""
    key = festival_key(pass_.festival_id)
    return encode(pass_.festival_id, pass_.public_id, pass_.serial, key.private_key)


def parse(code):
    """Read a code without checking its signature. Raises InvalidCode when unreadable."""
    text = (code or "").strip().upper()
    if len(text) != CODE_LENGTH:
        raise InvalidCode("length")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as error:
        raise InvalidCode("encoding") from error
    if len(raw) != PAYLOAD_BYTES + SIGNATURE_BYTES:
        raise InvalidCode("length")
    # The last character carries 3 padding bits that decoding ignores; a code is valid
    # only in its one canonical spelling, so that every altered character is refused.
    if base64.b32encode(raw).decode().rstrip("=") != text:
        raise InvalidCode("encoding")
    payload, signature = raw[:PAYLOAD_BYTES], raw[PAYLOAD_BYTES:]
    version, festival_id, public_id, serial = _LAYOUT.unpack(payload)
    if version != VERSION:
        raise InvalidCode("version")
    return PassCode(festival_id, public_id, serial), payload, signature


def verify(code, keys_for_festival):
    """Parse and check the signature against `keys_for_festival(festival_id)` (raw public keys)."""
    parsed, payload, signature = parse(code)
    for raw_key in keys_for_festival(parsed.festival_id):
        try:
            Ed25519PublicKey.from_public_bytes(raw_key).verify(signature, payload)
            return parsed
        except InvalidSignature:
            continue
    raise InvalidCode("signature")
