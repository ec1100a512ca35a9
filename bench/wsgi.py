"""What the benchmark stack serves: the app of wsgi.py plus the floor endpoint (bench/floor.py)."""
from app import create_app
from bench.floor import register

app = register(create_app())
