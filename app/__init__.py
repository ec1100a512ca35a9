"""Thetsakan: the application core. It names no domain package except in create_app."""
from app.factory import create_app

__all__ = ["create_app"]
