"""Mail's pages on one blueprint: the development mailbox (/dev/mailbox). Its templates/ also hold the letters."""
from pathlib import Path

from flask import Blueprint

from mail.pages import mailbox

PACKAGE_DIR = str(Path(__file__).resolve().parent.parent)  # templates/ live in the package

bp = Blueprint("mail", __name__, root_path=PACKAGE_DIR, template_folder="templates")
bp.register_blueprint(mailbox.bp)
