"""A file the browser saves (or shows) under its own name: one Content-Disposition for every download."""
from flask import Response


def download(body, filename, mimetype, inline=False, headers=None):
    """`body` as `filename`: saved by the browser, or shown in it when `inline`."""
    disposition = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition, **(headers or {})})
