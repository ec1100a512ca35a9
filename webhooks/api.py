"""JSON API: a city's webhook endpoints (organisers of that city, admins). Parse, call, commit, render."""
from flask_smorest import Blueprint

from app.auth import current_principal, require_roles
from app.database import db
from app.errors import ErrorSchema, NotFound
from webhooks.presenters import delivery_answer, endpoint_answer
from webhooks.schemas import DeliveryOut, EndpointCreatedOut, EndpointIn, EndpointOut, EndpointPatch, SecretOut
from webhooks.services import delivery as delivery_service
from webhooks.services import endpoints as endpoint_service
from webhooks.services import events as event_service

blp = Blueprint("webhooks_api", __name__, description="Partners' webhook endpoints")
BEARER = [{"bearerAuth": []}]


@blp.route("/cities/<city_slug>/webhooks", methods=["GET"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(200, EndpointOut(many=True))
def list_webhooks(city_slug):
    """The city's endpoints (never their secrets)."""
    return [endpoint_answer(e) for e in endpoint_service.list_endpoints(endpoint_service.city_of_caller(city_slug))]


@blp.route("/cities/<city_slug>/webhooks", methods=["POST"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.arguments(EndpointIn)
@blp.response(201, EndpointCreatedOut)
@blp.alt_response(422, schema=ErrorSchema, description="`private_address`, `scheme`, `unresolvable`, ... naming `url`")
def create_webhook(data, city_slug):
    """A partner's endpoint; the answer shows its signing `secret`, this once."""
    endpoint, secret = endpoint_service.create_endpoint(endpoint_service.city_of_caller(city_slug), created_by=current_principal(), **data)
    db.session.commit()
    return {**endpoint_answer(endpoint, with_deliveries=True), "secret": secret}


@blp.route("/webhooks/<int:webhook_id>", methods=["GET"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(200, EndpointOut)
def get_webhook(webhook_id):
    """One endpoint with its recent deliveries and their attempts."""
    return endpoint_answer(endpoint_service.endpoint_of_caller(webhook_id), with_deliveries=True)


@blp.route("/webhooks/<int:webhook_id>", methods=["PATCH"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.arguments(EndpointPatch)
@blp.response(200, EndpointOut)
@blp.alt_response(403, schema=ErrorSchema, description="`admin_only`: personal data needs an admin")
def patch_webhook(data, webhook_id):
    """Change the URL, topics or festival; switch on or off; (admins) allow names and e-mails."""
    endpoint = endpoint_service.update_endpoint(endpoint_service.endpoint_of_caller(webhook_id), current_principal(), **data)
    db.session.commit()
    return endpoint_answer(endpoint, with_deliveries=True)


@blp.route("/webhooks/<int:webhook_id>", methods=["DELETE"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(204)
def delete_webhook(webhook_id):
    endpoint_service.delete_endpoint(endpoint_service.endpoint_of_caller(webhook_id))
    db.session.commit()
    return ""


@blp.route("/webhooks/<int:webhook_id>/secret", methods=["POST"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(200, SecretOut)
def rotate_secret(webhook_id):
    """A new signing secret, shown this once; the old one keeps verifying for a day."""
    endpoint = endpoint_service.endpoint_of_caller(webhook_id)
    secret = endpoint_service.rotate_secret(endpoint)
    db.session.commit()
    return {"secret": secret, "previous_secret_until": endpoint.previous_secret_until}


@blp.route("/webhooks/<int:webhook_id>/test", methods=["POST"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(202, DeliveryOut)
def send_test(webhook_id):
    """A `webhook.test` event to this endpoint now (not retried)."""
    delivery = event_service.record_test(endpoint_service.endpoint_of_caller(webhook_id))
    db.session.commit()
    return delivery_answer(delivery)


@blp.route("/webhooks/<int:webhook_id>/deliveries/<int:delivery_id>/retry", methods=["POST"])
@require_roles("organiser")
@blp.doc(security=BEARER)
@blp.response(202, DeliveryOut)
def retry_delivery(webhook_id, delivery_id):
    """Send a failed (or waiting) delivery again now, with the same event id and body."""
    delivery = delivery_service.delivery_for(endpoint_service.endpoint_of_caller(webhook_id), delivery_id)
    if delivery is None:
        raise NotFound("delivery")
    delivery_service.retry(delivery)
    db.session.commit()
    return delivery_answer(delivery)
