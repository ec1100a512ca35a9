"""The festival list and the programme page, in Thai and in English."""
import re
from datetime import date, datetime, timezone

from app.database import db
from events.models import Booth


def page(client, url, status=200):
    answer = client.get(url)
    assert answer.status_code == status, (url, answer.status_code)
    return answer.get_data(as_text=True)


def card(html, session_id):
    """The HTML of one session card."""
    start = html.index(f'id="session-{session_id}"')
    return html[start:html.index("</article>", start)]


def title_of(html):
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def test_festival_list_shows_published_festivals_upcoming_first_in_both_languages(client, programme, make_festival):
    make_festival(programme.city_id, slug="learning-city-days-2023", name_th="วันเมืองแห่งการเรียนรู้ 2566",
                  name_en="Learning City Days 2023", starts_on=date(2023, 8, 22), ends_on=date(2023, 8, 23))
    make_festival(programme.city_id, slug="bangkok-2099", name_th="เทศกาลเรียนรู้กรุงเทพ 2642",
                  name_en="Bangkok Learning Festival 2099", starts_on=date(2099, 1, 10), ends_on=date(2099, 1, 11))
    make_festival(programme.city_id, slug="secret-draft", status="draft", name_th="ร่างลับ", name_en="Secret draft")

    thai = page(client, "/?lang=th")
    assert "เทศกาล" in title_of(thai)
    assert "กรุงเทพมหานคร" in thai
    assert "22–23 สิงหาคม 2566" in thai and "10–11 มกราคม 2642" in thai  # Buddhist Era
    assert "Secret draft" not in thai and "ร่างลับ" not in thai
    # upcoming soonest first, then the past under its own heading
    order = [thai.index(text) for text in (
        "เทศกาลเรียนรู้กรุงเทพ 2642", "วันเมืองแห่งการเรียนรู้ 2642", "เทศกาลที่ผ่านมา", "วันเมืองแห่งการเรียนรู้ 2566")]
    assert order == sorted(order)

    english = page(client, "/?lang=en")
    assert title_of(english).startswith("Festivals")
    assert "Learning City Days 2023" in english and "Bangkok Learning Festival 2099" in english
    assert "22–23 August 2023" in english and "Bangkok" in english and "Na at Bangkok1899" in english
    assert "Past festivals" in english and "วันเมืองแห่งการเรียนรู้" not in english
    assert f'href="/festivals/{programme.slug}"' in english


def test_a_past_festival_in_thai_with_buddhist_era_and_bangkok_time_and_no_booking(client, make_city, make_festival, make_session):
    city = make_city()
    festival = make_festival(city, slug="learning-city-days-2023", name_th="วันเมืองแห่งการเรียนรู้ 2566",
                             name_en="Learning City Days 2023", starts_on=date(2023, 8, 22), ends_on=date(2023, 8, 23))
    session = make_session(festival, starts_at=datetime(2023, 8, 22, 3, 0, tzinfo=timezone.utc), capacity=30)
    thai = page(client, "/festivals/learning-city-days-2023?lang=th")
    assert "วันอังคารที่ 22 สิงหาคม 2566" in thai and "22–23 สิงหาคม 2566" in thai
    weaving = card(thai, session)
    assert ">10:00</time>–<time" in weaving  # 03:00 UTC
    assert "ปิดรับจองแล้ว" in weaving and "/book" not in weaving
    assert "/signup" not in thai and "เทศกาลนี้จบลงแล้ว" in thai
    english = page(client, "/festivals/learning-city-days-2023?lang=en")
    assert "Tuesday 22 August 2023" in english and "Booking closed" in card(english, session)


def test_programme_in_thai_with_buddhist_era_days_and_bangkok_times(client, programme):
    html = page(client, f"/festivals/{programme.slug}?lang=th")
    assert "วันเมืองแห่งการเรียนรู้ 2642" in title_of(html)
    assert "วันเสาร์ที่ 22 สิงหาคม 2642" in html  # the day shown, with its Thai weekday
    assert "วันอาทิตย์" in html and "23 ส.ค. 42" in html  # the second day's tab
    weaving = card(html, programme.weaving)
    assert "เวิร์กช็อปทอผ้าสำหรับเด็ก" in weaving
    assert ">10:00</time>–<time" in weaving and ">11:00</time>" in weaving  # 03:00 UTC is 10:00 in Bangkok
    assert "เวทีหลัก" in weaving and "เวิร์กช็อป" in weaving and ">เด็ก</li>" in weaving
    assert "วัฒนธรรมการเรียนรู้ตลอดชีวิต" in weaving and "Khru Noi" in weaving
    assert "เหลือ 20 ที่นั่ง" in weaving and f'href="/sessions/{programme.weaving}/book"' in weaving
    assert "เต็มแล้ว" in card(html, programme.coding)
    assert "Weaving for children" not in html
    assert f'href="/festivals/{programme.slug}/signup"' in html and "ลงทะเบียนเข้าร่วมเทศกาล" in html


def test_programme_in_english(client, programme):
    html = page(client, f"/festivals/{programme.slug}?lang=en")
    assert title_of(html).startswith("Learning City Days 2099 · Programme")
    assert "Saturday 22 August 2099" in html
    weaving = card(html, programme.weaving)
    assert "Weaving for children" in weaving and "Main stage" in weaving and "Workshop" in weaving
    assert "20 seats left" in weaving and ">Book<" in weaving
    coding = card(html, programme.coding)
    assert "Full — join the waitlist" in coding and f'href="/sessions/{programme.coding}/book"' in coding
    forum = card(html, programme.forum)
    assert ">13:00</time>" in forum and "Open to all" in forum and "/book" not in forum
    # the second day's session is on the second day's tab only
    assert "Lifelong learning keynote" not in html
    second = page(client, f"/festivals/{programme.slug}?lang=en&day=2099-08-23")
    assert "Lifelong learning keynote" in second and "Weaving for children" not in second
    assert "Sunday 23 August 2099" in second
    host = "localhost"
    assert f'href="webcal://{host}/festivals/{programme.slug}/programme.ics"' in html
    assert f'href="webcal://{host}/festivals/{programme.slug}/venues/{programme.room}/programme.ics"' in html


def test_times_follow_the_festivals_own_zone(client, make_city, make_festival, make_session):
    city = make_city("fukuoka", "ฟุกุโอกะ", "Fukuoka")
    festival = make_festival(city, slug="fukuoka-days", timezone="Asia/Tokyo",
                             starts_on=date(2099, 8, 22), ends_on=date(2099, 8, 22))
    session = make_session(festival, starts_at=datetime(2099, 8, 22, 3, 0, tzinfo=timezone.utc))
    html = page(client, "/festivals/fukuoka-days?lang=en")
    assert ">12:00</time>–<time" in card(html, session)  # 03:00 UTC is noon in Tokyo


def test_filters_by_kind_theme_and_age_group_filter_and_are_links(client, programme):
    base = f"/festivals/{programme.slug}?lang=en"
    everything = page(client, base)
    # chips are plain links that work without JavaScript
    assert f'href="/festivals/{programme.slug}?day=2099-08-22&amp;kind=forum"' in everything

    forums = page(client, base + "&kind=forum")
    assert "Learning city forum" in forums
    assert "Weaving for children" not in forums and "Coding with robots" not in forums

    tech = page(client, base + "&theme=learning-technologies")
    assert "Coding with robots" in tech
    assert "Learning city forum" not in tech and "Weaving for children" not in tech

    children = page(client, base + "&age_group=child")
    assert "Weaving for children" in children
    assert "Coding with robots" not in children and "Learning city forum" not in children
    # the active chip clears its filter when picked again
    assert f'href="/festivals/{programme.slug}?day=2099-08-22"' in children

    nothing = page(client, base + "&kind=talk")
    assert "Nothing on this day matches your filters." in nothing


def test_unknown_filters_and_days_are_ignored_not_errors(client, programme):
    html = page(client, f"/festivals/{programme.slug}?lang=en&day=not-a-day&kind=juggling&theme=%00&view=3d")
    assert "Weaving for children" in html and "Learning city forum" in html
    page(client, "/festivals/NOT_A_SLUG", status=404)
    page(client, "/festivals/no-such-festival", status=404)


def test_by_stage_view_groups_sessions_by_venue(client, programme):
    html = page(client, f"/festivals/{programme.slug}?lang=en&view=stage")
    stages = {}
    for block in html.split('<section class="ev-stage"')[1:]:
        name = re.search(r'class="ev-stage-name">\s*([^<]+?)\s*<', block).group(1)
        stages[name] = block
    assert list(stages) == ["Main stage", "Garden room"]
    assert "Weaving for children" in stages["Main stage"] and "Long drum show" in stages["Main stage"]
    assert "Learning city forum" not in stages["Main stage"]
    assert "Learning city forum" in stages["Garden room"] and "Coding with robots" in stages["Garden room"]
    # the view survives a change of day
    assert f'href="/festivals/{programme.slug}?day=2099-08-23&amp;view=stage"' in html


def test_cancelled_session_is_struck_through_with_a_badge_and_no_booking(client, programme):
    english = card(page(client, f"/festivals/{programme.slug}?lang=en"), programme.drums)
    assert "<s>Long drum show</s>" in english and ">Cancelled<" in english and "/book" not in english
    thai = card(page(client, f"/festivals/{programme.slug}?lang=th"), programme.drums)
    assert "<s>การแสดงกลองยาว</s>" in thai and ">ยกเลิกแล้ว<" in thai


def test_booths_show_their_exhibitors(app, client, programme):
    with app.app_context():
        db.session.add(Booth(festival_id=programme.festival_id, code="A12", name_th="บูธทีเคพาร์ค",
                             name_en="TK Park booth", exhibitor="TK Park", themes=["learning-technologies"]))
        db.session.commit()
    english = page(client, f"/festivals/{programme.slug}?lang=en")
    assert "TK Park booth" in english and "A12" in english and ">TK Park<" in english
    assert "บูธทีเคพาร์ค" in page(client, f"/festivals/{programme.slug}?lang=th")


def test_a_draft_is_404_to_the_public_and_shown_with_a_banner_to_its_city(
    client, organiser_client, programme, make_festival, make_city, make_user
):
    make_festival(programme.city_id, slug="draft-fest", status="draft", name_en="Draft festival",
                  starts_on=date(2099, 8, 22), ends_on=date(2099, 8, 22))
    page(client, "/festivals/draft-fest", status=404)
    assert "Draft festival" not in page(client, "/?lang=en")

    mine = page(organiser_client, "/festivals/draft-fest?lang=en")
    assert "Draft festival" in mine and "ev-draft-banner" in mine
    assert "Only organisers of this city see this page" in mine
    assert "Draft festival" in page(organiser_client, "/?lang=en")

    other_city = make_city("chiang-mai", "เชียงใหม่", "Chiang Mai")
    make_user("organiser", other_city, password="pw-other-1", email="cm@example.org")
    from tests.conftest import login
    stranger = client.application.test_client()
    login(stranger, "cm@example.org", "pw-other-1")
    page(stranger, "/festivals/draft-fest", status=404)
