"""marshmallow schemas of the reports API: what a request may say, and how a report is shown."""
import marshmallow as ma
from flask import url_for
from marshmallow import fields, validate

from reports.models import FORMATS, LOCALES, STATUSES


class ReportRequestSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    formats = fields.List(
        fields.String(validate=validate.OneOf(FORMATS)),
        validate=validate.Length(min=1, max=len(FORMATS)),
        metadata={"description": "Default: all of csv, xlsx, pdf."},
    )
    locale = fields.String(
        validate=validate.OneOf(LOCALES),
        metadata={"description": "Language of the PDF and of the spreadsheet's headers (default th)."},
    )


def _local(attribute):
    def render(report):
        value = getattr(report, attribute)
        return value.astimezone(report.festival.zone).isoformat() if value is not None else None

    return render


def api_file_urls(report):
    if report.status != "finished":
        return {}
    return {
        fmt: url_for("reports_api.download", report_id=report.id, fmt=fmt, _external=True)
        for fmt in FORMATS
        if fmt in (report.files or {})
    }


class ReportSchema(ma.Schema):
    class Meta:
        ordered = True

    id = fields.Integer()
    festival = fields.Function(lambda report: report.festival.slug)
    status = fields.String(metadata={"enum": list(STATUSES)})
    progress = fields.Integer(metadata={"description": "0-100"})
    trigger = fields.String(metadata={"description": "requested, or daily (compiled after a festival day)"})
    scheduled_for = fields.Date(allow_none=True)
    formats = fields.List(fields.String())
    locale = fields.String()
    created_at = fields.Function(_local("created_at"))
    started_at = fields.Function(_local("started_at"))
    compiled_at = fields.Function(_local("compiled_at"), metadata={"description": "the moment of the data snapshot"})
    finished_at = fields.Function(_local("finished_at"))
    scans = fields.Integer(allow_none=True, metadata={"description": "scans the report was compiled from"})
    summary = fields.Dict(allow_none=True, metadata={"description": "the headline figures"})
    error = fields.String(allow_none=True)
    files = fields.Function(api_file_urls, metadata={"description": "csv, xlsx, pdf download URLs once finished"})


class NetworkFestivalSchema(ma.Schema):
    class Meta:
        ordered = True
        unknown = ma.INCLUDE

    slug = fields.String()
    city = fields.String()
    name_th = fields.String()
    name_en = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    status = fields.String()
    passes = fields.Integer()
    people = fields.Integer()
    visitors = fields.Integer()
    visitor_people = fields.Integer()
    sessions_held = fields.Integer()
    age_groups = fields.Dict(keys=fields.String(), values=fields.Integer())


class NetworkTotalsSchema(ma.Schema):
    class Meta:
        ordered = True

    festivals = fields.Integer()
    passes = fields.Integer()
    people = fields.Integer()
    visitors = fields.Integer()
    visitor_people = fields.Integer()
    sessions_held = fields.Integer()
    age_groups = fields.Dict(keys=fields.String(), values=fields.Integer())


class NetworkCitySchema(NetworkTotalsSchema):
    slug = fields.String()
    name_th = fields.String()
    name_en = fields.String()


class NetworkSummarySchema(ma.Schema):
    class Meta:
        ordered = True

    generated_at = fields.DateTime()
    festivals = fields.List(fields.Nested(NetworkFestivalSchema))
    cities = fields.List(fields.Nested(NetworkCitySchema))
    network = fields.Nested(NetworkTotalsSchema)
