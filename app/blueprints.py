"""The blueprint of a package's pages/ package: its templates/ and static/ live in the package, beside pages/."""
import sys
from pathlib import Path

from flask import Blueprint


def pages_blueprint(name, import_name, static_url_path=None, **options):
    """Blueprint(name, import_name) rooted at the package that holds pages/ (`events/`, not `events/pages/`);
    with static_url_path, the package's static/ is served there."""
    package_dir = Path(sys.modules[import_name].__file__).resolve().parent.parent
    if static_url_path:
        options.update(static_folder="static", static_url_path=static_url_path)
    return Blueprint(name, import_name, root_path=str(package_dir), template_folder="templates", **options)
