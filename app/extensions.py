"""Extensions, created unbound here and attached in create_app()."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_wtf import CSRFProtect

from app.database import db
from app.errors import ErrorSchema
from app.limit_store import limiter
from app.openapi_errors import ErrorResponses

migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


class ThetsakanApi(Api):
    """flask-smorest, with our error shape documented in the OpenAPI document."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        # app.errors registers one handler for API and pages alike.
        return None


api = ThetsakanApi(spec_kwargs={"extra_plugins": [ErrorResponses()]})

__all__ = ["db", "migrate", "login_manager", "csrf", "babel", "limiter", "api"]
