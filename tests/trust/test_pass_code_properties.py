"""Property tests: any altered or truncated pass code is refused, and codes never cross festivals."""
import base64
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registrations import pass_codes
from registrations.pass_codes import CODE_LENGTH, InvalidCode, encode, verify

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _key():
    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
        private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )


FESTIVAL_A, FESTIVAL_B = 11, 12
KEYS = {FESTIVAL_A: _key(), FESTIVAL_B: _key()}


def keys_for(festival_id):
    pair = KEYS.get(festival_id)
    return [pair[1]] if pair else []


def a_code(festival_id=FESTIVAL_A, serial=1):
    return encode(festival_id, secrets.token_bytes(8), serial, KEYS[festival_id][0])


def refused(code):
    try:
        verify(code, keys_for)
    except InvalidCode:
        return True
    return False


settings.register_profile("thetsakan", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("thetsakan")


@given(st.integers(min_value=1, max_value=2**32 - 1), st.binary(min_size=8, max_size=8), st.integers(0, 65535))
def test_a_genuine_code_round_trips(festival_id, public_id, serial):
    private, public = _key()
    code = encode(festival_id, public_id, serial, private)
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    parsed = verify(code, lambda fid: [public] if fid == festival_id else [])
    assert (parsed.festival_id, parsed.public_id, parsed.serial) == (festival_id, public_id, serial)


@given(st.data())
def test_any_changed_character_is_refused(data):
    code = a_code()
    position = data.draw(st.integers(0, len(code) - 1))
    replacement = data.draw(st.sampled_from([c for c in ALPHABET if c != code[position]]))
    altered = code[:position] + replacement + code[position + 1:]
    assert refused(altered)


@given(st.data())
def test_any_truncation_or_extension_is_refused(data):
    code = a_code()
    cut = data.draw(st.integers(0, len(code) - 1))
    assert refused(code[:cut])
    assert refused(code + data.draw(st.text(alphabet=ALPHABET, min_size=1, max_size=8)))


@given(st.text(max_size=200))
def test_arbitrary_text_is_refused_not_crashed(text):
    assert refused(text)


@given(st.integers(0, 65535))
def test_a_code_of_one_festival_never_passes_as_another(serial):
    code = a_code(FESTIVAL_A, serial)
    parsed = verify(code, keys_for)
    assert parsed.festival_id == FESTIVAL_A
    # Re-sign festival A's payload bytes claiming festival B: the signature no longer matches.
    raw = bytearray(base64.b32decode(code + "=" * (-len(code) % 8)))
    raw[1:5] = FESTIVAL_B.to_bytes(4, "big")
    forged = base64.b32encode(bytes(raw)).decode().rstrip("=")
    assert refused(forged)
    # And B's key does not verify A's code.
    assert not _verifies_with(code, KEYS[FESTIVAL_B][1])


def _verifies_with(code, public_key):
    try:
        verify(code, lambda _fid: [public_key])
    except InvalidCode:
        return False
    return True


def test_the_payload_carries_no_personal_data():
    code = a_code()
    parsed, payload, _signature = pass_codes.parse(code)
    assert len(payload) == 15  # version, festival, random public id, serial: nothing else fits
    assert parsed.public_id != b"\x00" * 8


def test_the_padding_bits_of_the_last_character_cannot_be_altered():
    code = a_code()
    last = ALPHABET.index(code[-1])
    # Flip each of the three low bits, which base32 decoding alone would ignore.
    for bit in (1, 2, 4):
        altered = code[:-1] + ALPHABET[last ^ bit]
        assert refused(altered)
