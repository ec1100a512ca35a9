"""marshmallow: what the webhooks API takes and gives."""
import marshmallow as ma
from marshmallow import validate

from webhooks.topics import TOPICS


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class EndpointIn(_Strict):
    url = ma.fields.String(required=True, metadata={"description": "https:// in production"})
    topics = ma.fields.List(ma.fields.String(validate=validate.OneOf(TOPICS)), required=True,
                            validate=validate.Length(min=1), metadata={"description": f"any of {', '.join(TOPICS)}"})
    festival = ma.fields.String(load_default=None, allow_none=True,
                                metadata={"description": "a festival's slug; none: every festival of the city"})
    description = ma.fields.String(load_default="", validate=validate.Length(max=200))


class EndpointPatch(_Strict):
    url = ma.fields.String()
    topics = ma.fields.List(ma.fields.String(validate=validate.OneOf(TOPICS)), validate=validate.Length(min=1))
    festival = ma.fields.String(allow_none=True)
    description = ma.fields.String(validate=validate.Length(max=200))
    enabled = ma.fields.Boolean()
    personal_data = ma.fields.Boolean(metadata={"description": "admins only: names and e-mails in payloads"})


class AttemptOut(ma.Schema):
    number = ma.fields.Integer()
    at = ma.fields.DateTime()
    status_code = ma.fields.Integer(allow_none=True)
    duration_ms = ma.fields.Integer()
    error = ma.fields.String(allow_none=True)
    ok = ma.fields.Boolean()


class DeliveryOut(ma.Schema):
    id = ma.fields.Integer()
    event_id = ma.fields.String()
    topic = ma.fields.String()
    status = ma.fields.String(metadata={"description": "pending, delivered or failed"})
    attempts = ma.fields.Integer()
    next_attempt_at = ma.fields.DateTime(allow_none=True)
    delivered_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    tries = ma.fields.List(ma.fields.Nested(AttemptOut))


class EndpointOut(ma.Schema):
    id = ma.fields.Integer()
    city = ma.fields.String()
    festival = ma.fields.String(allow_none=True)
    url = ma.fields.String()
    topics = ma.fields.List(ma.fields.String())
    description = ma.fields.String()
    enabled = ma.fields.Boolean()
    disabled_reason = ma.fields.String(allow_none=True, metadata={"description": "`failing`: failed for a day"})
    disabled_at = ma.fields.DateTime(allow_none=True)
    failing_since = ma.fields.DateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    personal_data = ma.fields.Boolean()
    previous_secret_until = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    deliveries = ma.fields.List(ma.fields.Nested(DeliveryOut), metadata={"description": "recent, newest first"})


class EndpointCreatedOut(EndpointOut):
    secret = ma.fields.String(metadata={"description": "shown this once: keep it to verify signatures"})


class SecretOut(ma.Schema):
    secret = ma.fields.String(metadata={"description": "the new secret, shown this once"})
    previous_secret_until = ma.fields.DateTime(metadata={"description": "the old secret verifies until then"})
