"""A pass's secret links: their tokens, and the hash the database finds a pass by."""
import hashlib
import secrets

MAX_TOKEN_LENGTH = 100  # longer is no token of ours: not found, without asking the database


def new_token():
    return secrets.token_urlsafe(32)


def token_hash(raw):
    return hashlib.sha256(raw.encode()).hexdigest()


def could_be_token(raw):
    return bool(raw) and len(raw) <= MAX_TOKEN_LENGTH
