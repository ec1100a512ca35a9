"""The consent text a visitor agrees to at sign-up, in Thai and English, by version.

A pass records the version, the language, the time and the SHA-256 of the exact
text shown, so that what someone agreed to can be proved later (Thailand's PDPA).
A changed text gets a new version; old versions stay here so their hashes still
mean something.
"""
import hashlib

CURRENT_VERSION = "2026-11-21"

TEXTS = {
    # 2026-11-21: the text now names the visitor's rights under the PDPA that the manage
    # page serves (a copy of the data, deletion), not only cancelling.
    "2026-11-21": {
        "th": (
            "ข้าพเจ้ายินยอมให้ผู้จัดงานเทศกาลเก็บและใช้ชื่อ อีเมล หมายเลขโทรศัพท์ และช่วงอายุของข้าพเจ้า"
            "และสมาชิกครอบครัวที่ลงทะเบียนร่วมกัน เพื่อออกบัตรเข้างาน จองที่นั่งในเวิร์กช็อป "
            "ส่งข้อมูลเกี่ยวกับการจองและการเปลี่ยนแปลงกำหนดการทางอีเมล และจัดทำสถิติผู้เข้าร่วมงาน"
            "แบบไม่ระบุตัวตน ข้อมูลส่วนบุคคลจะถูกลบเมื่อพ้นระยะเวลาเก็บรักษาหลังจบงาน "
            "ข้าพเจ้าสามารถดาวน์โหลดสำเนาข้อมูลของข้าพเจ้า ยกเลิกบัตร หรือขอลบข้อมูลส่วนบุคคลได้ทุกเมื่อ"
            "จากลิงก์จัดการบัตร ตามพระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562"
        ),
        "en": (
            "I agree that the festival organisers may keep and use my name, email address, phone number "
            "and age group, and those of the family members I register with me, to issue my pass, book "
            "workshop seats, email me about my bookings and programme changes, and count attendance in "
            "anonymous statistics. Personal data is deleted when the retention period after the festival "
            "ends. At any time, from the manage link of my pass, I can download a copy of my data, cancel my "
            "pass, or delete my personal data, as the Personal Data Protection Act of Thailand, B.E. 2562 (2019), "
            "provides."
        ),
    },
    "2026-11-01": {
        "th": (
            "ข้าพเจ้ายินยอมให้ผู้จัดงานเทศกาลเก็บและใช้ชื่อ อีเมล หมายเลขโทรศัพท์ และช่วงอายุของข้าพเจ้า"
            "และสมาชิกครอบครัวที่ลงทะเบียนร่วมกัน เพื่อออกบัตรเข้างาน จองที่นั่งในเวิร์กช็อป "
            "ส่งข้อมูลเกี่ยวกับการจองและการเปลี่ยนแปลงกำหนดการทางอีเมล และจัดทำสถิติผู้เข้าร่วมงาน"
            "แบบไม่ระบุตัวตน ข้อมูลส่วนบุคคลจะถูกลบเมื่อพ้นระยะเวลาเก็บรักษาหลังจบงาน "
            "และข้าพเจ้าสามารถยกเลิกบัตรได้ทุกเมื่อจากลิงก์จัดการบัตร"
        ),
        "en": (
            "I agree that the festival organisers may keep and use my name, email address, phone number "
            "and age group, and those of the family members I register with me, to issue my pass, book "
            "workshop seats, email me about my bookings and programme changes, and count attendance in "
            "anonymous statistics. Personal data is deleted when the retention period after the festival "
            "ends, and I can cancel my pass at any time from its manage link."
        ),
    },
}


def text(locale, version=CURRENT_VERSION):
    versions = TEXTS[version]
    return versions.get(locale) or versions["th"]


def sha256(locale, version=CURRENT_VERSION):
    """The hash of the exact text shown for this version and language."""
    return hashlib.sha256(text(locale, version).encode("utf-8")).hexdigest()


def is_known(version):
    return version in TEXTS
