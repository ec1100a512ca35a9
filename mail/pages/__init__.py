"""Mail's pages on one blueprint: the development mailbox (/dev/mailbox). Its templates/ also hold the letters."""
from app.blueprints import pages_blueprint
from mail.pages import mailbox

bp = pages_blueprint("mail", __name__)
bp.register_blueprint(mailbox.bp)
