"""The words of CONTRACT.md, with their Thai and English labels."""

SESSION_KINDS = ("workshop", "talk", "forum", "performance", "exhibition", "activity")
AGE_GROUPS = ("child", "teen", "adult", "senior")
THEMES = (
    "inclusive-education",
    "family-community",
    "workplace",
    "learning-technologies",
    "quality-learning",
    "lifelong-culture",
)
VENUE_KINDS = ("stage", "room", "zone")
FESTIVAL_STATUSES = ("draft", "published")
SESSION_STATUSES = ("scheduled", "cancelled")
LANGUAGES = ("th", "en", "th-en")

LABELS = {
    "workshop": ("เวิร์กช็อป", "Workshop"),
    "talk": ("บรรยาย", "Talk"),
    "forum": ("เสวนา", "Forum"),
    "performance": ("การแสดง", "Performance"),
    "exhibition": ("นิทรรศการ", "Exhibition"),
    "activity": ("กิจกรรม", "Activity"),
    "child": ("เด็ก (ต่ำกว่า 13 ปี)", "Children (under 13)"),
    "teen": ("วัยรุ่น (13–17 ปี)", "Teens (13–17)"),
    "adult": ("ผู้ใหญ่ (18–59 ปี)", "Adults (18–59)"),
    "senior": ("ผู้สูงวัย (60 ปีขึ้นไป)", "Seniors (60+)"),
    "inclusive-education": ("การศึกษาที่ทั่วถึง", "Inclusive education"),
    "family-community": ("การเรียนรู้ในครอบครัวและชุมชน", "Family and community learning"),
    "workplace": ("การเรียนรู้เพื่อการทำงาน", "Learning for work"),
    "learning-technologies": ("เทคโนโลยีการเรียนรู้", "Learning technologies"),
    "quality-learning": ("การเรียนรู้ที่มีคุณภาพ", "Quality learning"),
    "lifelong-culture": ("วัฒนธรรมการเรียนรู้ตลอดชีวิต", "Lifelong learning culture"),
    "stage": ("เวที", "Stage"),
    "room": ("ห้อง", "Room"),
    "zone": ("โซน", "Zone"),
    "th": ("ภาษาไทย", "Thai"),
    "en": ("ภาษาอังกฤษ", "English"),
    "th-en": ("ไทยและอังกฤษ", "Thai and English"),
}


def label(word, locale="th"):
    pair = LABELS.get(word)
    if pair is None:
        return word
    return pair[0] if locale == "th" else pair[1]


def labels(words):
    """Vocabulary words as message parameters: the reader's label in Thai, the word itself in English
    (the word is what the API and a spreadsheet take)."""
    return [{"th": LABELS[word][0] if word in LABELS else word, "en": word} for word in words]
