"""A member as the API and the Team page show them: role, status, last sign-in and phones."""
from teams.services import members, phones


def member_answers(users, city_slug=None):
    by_user = phones.phones_of([u.id for u in users])
    return [member_answer(u, by_user.get(u.id, []), city_slug) for u in users]


def member_answer(user, user_phones=None, city_slug=None):
    if user_phones is None:
        user_phones = phones.phones_of([user.id]).get(user.id, [])
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "status": members.status_of(user),
        "city": city_slug if user.city_id is not None else None,
        "last_sign_in_at": user.last_sign_in_at,
        "phones": [
            {"id": p.id, "label": p.label, "festival_th": p.festival_th, "festival_en": p.festival_en,
             "paired_at": p.paired_at}
            for p in user_phones
        ],
    }
