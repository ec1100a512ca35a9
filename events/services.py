"""The programme's services in one place for callers (pages, API, workers, other domains).

Services take plain Python values (dates, aware datetimes, lists), check them,
raise app.errors.Invalid / DomainError / NotFound, and flush(); the caller commits.
The work lives in festivals.py, programme.py, booths.py and programme_version.py.
"""
from events.booths import booth_by_id, booths, create_booth, update_booth
from events.festivals import (
    city_by_slug,
    create_city,
    create_festival,
    festival_by_id,
    festival_by_slug,
    festival_with_slug,
    find_festival,
    list_cities,
    may_see,
    reachable,
    update_festival,
    visible_festivals,
)
from events.programme import (
    cancel_session,
    create_session,
    create_venue,
    delete_session,
    ensure_inside_festival,
    find_clash,
    programme,
    session_by_id,
    update_session,
    update_venue,
    venue_by_id,
)
from events.programme_store import programme_answer
from events.programme_version import api_version, api_versions, page_version, page_versions

__all__ = [
    "api_version",
    "api_versions",
    "booth_by_id",
    "booths",
    "cancel_session",
    "city_by_slug",
    "create_booth",
    "create_city",
    "create_festival",
    "create_session",
    "create_venue",
    "delete_session",
    "ensure_inside_festival",
    "festival_by_id",
    "festival_by_slug",
    "festival_with_slug",
    "find_festival",
    "find_clash",
    "list_cities",
    "may_see",
    "reachable",
    "page_version",
    "page_versions",
    "programme_answer",
    "programme",
    "session_by_id",
    "update_booth",
    "update_festival",
    "update_session",
    "update_venue",
    "venue_by_id",
    "visible_festivals",
]
