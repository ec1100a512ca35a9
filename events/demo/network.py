"""The demo network's content: the ten Thai GNLC cities and two festivals (see docs and learning-cities.md).

Times are wall-clock times in the festival's zone: (day number from 0, start, end).
Membership years are given only where the source material is definite; the rest stay empty.
"""
from datetime import date

CITIES = [
    # slug, Thai, English, province (th, en), member since, unit
    ("chiang-mai", "เชียงใหม่", "Chiang Mai", "เชียงใหม่", "Chiang Mai", 2020, "city municipality"),
    ("chiang-rai", "เชียงราย", "Chiang Rai", "เชียงราย", "Chiang Rai", None, "city municipality"),
    ("chachoengsao", "ฉะเชิงเทรา", "Chachoengsao", "ฉะเชิงเทรา", "Chachoengsao", None, "town municipality"),
    ("phuket", "ภูเก็ต", "Phuket", "ภูเก็ต", "Phuket", None, "city municipality"),
    ("hat-yai", "หาดใหญ่", "Hat Yai", "สงขลา", "Songkhla", None, "city"),
    ("phayao", "พะเยา", "Phayao", "พะเยา", "Phayao", None, "province"),
    ("sukhothai", "สุโขทัย", "Sukhothai", "สุโขทัย", "Sukhothai", None, "province"),
    ("khon-kaen", "ขอนแก่น", "Khon Kaen", "ขอนแก่น", "Khon Kaen", None, "city"),
    ("yala", "ยะลา", "Yala", "ยะลา", "Yala", None, "city"),
    ("bangkok", "กรุงเทพมหานคร", "Bangkok", "กรุงเทพมหานคร", "Bangkok", None, "all districts"),
]

ALL_AGES = ["child", "teen", "adult", "senior"]

LEARNING_CITY_DAYS = {
    "city": "bangkok",
    "festival": dict(
        slug="learning-city-days-2023",
        name_th="Learning City Days 2023 เมืองแห่งการเรียนรู้ พื้นที่ของคนทุกวัย",
        name_en="Learning City Days 2023",
        description_th=(
            "สองวันแห่งการเรียนรู้ของเครือข่ายเมืองแห่งการเรียนรู้ประเทศไทย ภายใต้แนวคิด "
            "“เมืองแห่งการเรียนรู้ พื้นที่ของคนทุกวัย” มีทั้งเวิร์กช็อป วงเสวนา การนำเสนอต้นแบบเมืองแห่งการเรียนรู้ "
            "จากงานวิจัย การแสดงดนตรีพื้นบ้าน บูธนิทรรศการที่ลงมือทำได้ และเวทีประกาศความร่วมมือของภาคี "
            "จัดโดยหน่วยบริหารและจัดการทุนด้านการพัฒนาระดับพื้นที่ (บพท.) ร่วมกับภาคีเครือข่าย"
        ),
        description_en=(
            "Two days of the Thailand Learning City network under the theme “a learning city, a space for people "
            "of every age”: workshops, panel forums, learning-city prototypes from research, folk music, hands-on "
            "booths and a stage where the partners declare their cooperation. Organised by PMU A with UNESCO "
            "Bangkok, EEF, the Ministry of Education, the Sirindhorn Anthropology Centre, TK Park and DASTA."
        ),
        starts_on=date(2023, 8, 22),
        ends_on=date(2023, 8, 23),
        timezone="Asia/Bangkok",
        venue_th="ณ Bangkok1899 บ้านเจ้าพระยาธรรมศักดิ์มนตรี",
        venue_en="Na at Bangkok1899",
        address="Bangkok1899, the historic house of Chao Phraya Thammasakmontri, Nakhon Sawan Road, Bangkok",
        stamp_goal=6,
    ),
    "venues": [
        # key, Thai, English, kind, capacity
        ("stage", "เวทีหลัก (สนามหญ้า)", "Main stage (garden)", "stage", None),
        ("forum", "ห้องเสวนา", "Forum hall", "room", 120),
        ("ws1", "ห้องเวิร์กช็อป 1", "Workshop room 1", "room", 40),
        ("ws2", "ห้องเวิร์กช็อป 2", "Workshop room 2", "room", 30),
        ("gallery", "ห้องนำเสนอต้นแบบ", "Prototype gallery", "room", 60),
        ("booths", "โซนบูธภาคีเครือข่าย", "Partners' booth zone", "zone", None),
    ],
    "sessions": [
        # (day, start, end), venue, kind, Thai title, English title, capacity, themes, age groups, hosts, language
        ((0, "09:30", "10:15"), "stage", "talk", "พิธีเปิดและปาฐกถา “เมืองแห่งการเรียนรู้ พื้นที่ของคนทุกวัย”",
         "Opening and keynote: a learning city, a space for people of every age", None,
         ["lifelong-culture", "inclusive-education"], ALL_AGES, ["PMU A (บพท.)"], "th"),
        ((0, "09:00", "17:00"), "booths", "exhibition", "บูธภาคีเครือข่าย: ลองทำ ลองเล่น ลองเรียน",
         "Partners' booths: try, play, learn", None, ["lifelong-culture", "learning-technologies"], ALL_AGES, [], "th-en"),
        ((0, "10:30", "12:00"), "forum", "forum", "เสวนา: บทเรียนจากเมืองสมาชิกเครือข่ายเมืองแห่งการเรียนรู้ของยูเนสโก",
         "Forum: lessons from Thailand's UNESCO learning cities", None, ["quality-learning", "inclusive-education"],
         ["adult", "senior"], ["Chiang Mai Learning City", "Phuket Learning City", "Chachoengsao Learning City"], "th"),
        ((0, "10:30", "12:00"), "ws1", "workshop", "เวิร์กช็อป: ออกแบบพื้นที่เรียนรู้กับเด็ก",
         "Workshop: designing learning spaces with children", 30, ["family-community", "inclusive-education"],
         ["child", "adult"], ["TK Park"], "th"),
        ((0, "10:30", "12:00"), "ws2", "workshop", "เวิร์กช็อป: สานปลาตะเพียนใบลาน ของเล่นพื้นบ้าน",
         "Workshop: weaving palm-leaf fish, a Thai folk toy", 25, ["lifelong-culture", "family-community"],
         ALL_AGES, ["Sirindhorn Anthropology Centre"], "th"),
        ((0, "13:00", "14:30"), "gallery", "talk", "นำเสนอต้นแบบเมืองแห่งการเรียนรู้จากงานวิจัย (1): ภาคเหนือและภาคตะวันออกเฉียงเหนือ",
         "Learning-city prototypes from research (1): the North and the North-East", None,
         ["quality-learning", "workplace"], ["adult"], ["PMU A research teams"], "th"),
        ((0, "13:00", "15:00"), "ws1", "workshop", "เวิร์กช็อป: ข้อมูลชุมชนเพื่อเมืองแห่งการเรียนรู้",
         "Workshop: community data for learning cities", 40, ["learning-technologies", "workplace"],
         ["teen", "adult"], ["PMU A (บพท.)"], "th"),
        ((0, "13:30", "15:00"), "ws2", "workshop", "เวิร์กช็อป: เล่าเรื่องย่านเก่าด้วยภาพถ่าย",
         "Workshop: telling an old neighbourhood's story in photographs", 20, ["lifelong-culture", "family-community"],
         ["teen", "adult", "senior"], ["DASTA"], "th"),
        ((0, "15:00", "15:45"), "stage", "performance", "การแสดงวงโปงลาง", "Pong lang ensemble", None,
         ["lifelong-culture"], ALL_AGES, ["Pong lang youth ensemble"], "th"),
        ((0, "15:30", "17:00"), "forum", "forum", "เสวนา: เรียนรู้ตลอดชีวิตในสังคมสูงวัย",
         "Forum: lifelong learning in an ageing society", None, ["lifelong-culture", "inclusive-education"],
         ["adult", "senior"], ["EEF (กสศ.)", "Khon Kaen Learning City"], "th"),
        ((1, "09:00", "17:00"), "booths", "exhibition", "บูธภาคีเครือข่าย: ลองทำ ลองเล่น ลองเรียน",
         "Partners' booths: try, play, learn", None, ["lifelong-culture", "learning-technologies"], ALL_AGES, [], "th-en"),
        ((1, "09:30", "10:30"), "stage", "talk", "เครือข่ายเมืองแห่งการเรียนรู้ของยูเนสโกกับเป้าหมาย SDG 4",
         "UNESCO's learning cities and SDG 4", None, ["quality-learning", "inclusive-education"], ["adult"],
         ["UNESCO Bangkok"], "th-en"),
        ((1, "10:00", "12:00"), "ws1", "workshop", "เวิร์กช็อป: เครื่องมือเรียนรู้ดิจิทัลสำหรับทุกวัย",
         "Workshop: digital learning tools for every age", 40, ["learning-technologies"], ["teen", "adult", "senior"],
         ["TK Park"], "th"),
        ((1, "10:30", "12:00"), "forum", "forum", "เสวนา: ความเสมอภาคทางการศึกษาในเมืองแห่งการเรียนรู้",
         "Forum: equity in education in a learning city", None, ["inclusive-education"], ["adult"],
         ["EEF (กสศ.)", "Ministry of Education"], "th"),
        ((1, "10:30", "12:00"), "gallery", "talk", "นำเสนอต้นแบบเมืองแห่งการเรียนรู้จากงานวิจัย (2): ภาคกลางและภาคใต้",
         "Learning-city prototypes from research (2): the Centre and the South", None,
         ["quality-learning", "family-community"], ["adult"], ["PMU A research teams"], "th"),
        ((1, "13:00", "14:30"), "ws2", "workshop", "เวิร์กช็อป: การท่องเที่ยวโดยชุมชนคือห้องเรียน",
         "Workshop: community-based tourism as a classroom", 30, ["workplace", "lifelong-culture"], ["adult"],
         ["DASTA"], "th"),
        ((1, "13:00", "14:30"), "ws1", "workshop", "เวิร์กช็อป: จดหมายเหตุชุมชน เก็บความรู้ของคนในย่าน",
         "Workshop: a community archive of local knowledge", 30, ["lifelong-culture", "family-community"],
         ["teen", "adult", "senior"], ["Sirindhorn Anthropology Centre"], "th"),
        ((1, "14:30", "15:15"), "stage", "performance", "การแสดงกลองยาว", "Long-drum show", None, ["lifelong-culture"],
         ALL_AGES, ["Long-drum troupe"], "th"),
        ((1, "15:30", "16:30"), "stage", "activity", "เวทีประกาศความร่วมมือภาคีเครือข่ายเมืองแห่งการเรียนรู้",
         "The partners' declaration of cooperation", None, ["quality-learning"], ["adult"],
         ["PMU A (บพท.)", "UNESCO Bangkok", "EEF (กสศ.)", "Ministry of Education", "Sirindhorn Anthropology Centre",
          "TK Park", "DASTA"], "th-en"),
    ],
    "booths": [
        # code, Thai, English, exhibitor, themes, age groups
        ("A01", "แพลตฟอร์มเมืองแห่งการเรียนรู้ประเทศไทย", "The Thailand Learning City Platform",
         "หน่วยบริหารและจัดการทุนด้านการพัฒนาระดับพื้นที่ (บพท.) · PMU A", ["quality-learning", "workplace"], ["adult"]),
        ("A02", "หกลักษณะของเมืองแห่งการเรียนรู้", "The six features of a learning city",
         "UNESCO Bangkok", ["inclusive-education", "quality-learning"], ["teen", "adult"]),
        ("A03", "เรียนรู้อย่างเสมอภาค ทุกคนทุกวัย", "Equitable learning for everyone",
         "กองทุนเพื่อความเสมอภาคทางการศึกษา (กสศ.) · EEF", ["inclusive-education"], ALL_AGES),
        ("A04", "ความร่วมมือระหว่างประเทศด้านการศึกษา", "International cooperation in education",
         "สำนักความสัมพันธ์ต่างประเทศ กระทรวงศึกษาธิการ · MoE Bureau of International Cooperation",
         ["quality-learning"], ["adult"]),
        ("A05", "มรดกที่มีชีวิต: ลองเล่นของเล่นพื้นบ้าน", "Living heritage: play with folk toys",
         "ศูนย์มานุษยวิทยาสิรินธร · Sirindhorn Anthropology Centre", ["lifelong-culture", "family-community"], ALL_AGES),
        ("A06", "ห้องสมุดมีชีวิตและมุมอ่านสำหรับครอบครัว", "A living library and a family reading corner",
         "อุทยานการเรียนรู้ TK Park", ["learning-technologies", "family-community"], ["child", "teen", "adult"]),
        ("A07", "ท่องเที่ยวเชิงสร้างสรรค์ เรียนรู้กับชุมชน", "Creative tourism: learning with communities",
         "องค์การบริหารการพัฒนาพื้นที่พิเศษเพื่อการท่องเที่ยวอย่างยั่งยืน (อพท.) · DASTA", ["workplace", "lifelong-culture"],
         ["adult", "senior"]),
        ("B01", "เชียงใหม่: เรียนรู้จากเจ้าของวัฒนธรรม", "Chiang Mai: learning from the owners of a tradition",
         "Chiang Mai Learning City", ["lifelong-culture", "family-community"], ALL_AGES),
        ("B02", "ภูเก็ต: เมืองแห่งการเรียนรู้ริมทะเล", "Phuket: a learning city by the sea", "Phuket Learning City",
         ["family-community", "workplace"], ALL_AGES),
        ("B03", "ฉะเชิงเทรา: ห้องเรียนในชุมชน", "Chachoengsao: classrooms in the community", "Chachoengsao Learning City",
         ["family-community", "inclusive-education"], ["child", "adult"]),
        ("B04", "ขอนแก่น: เมืองแห่งการเรียนรู้กับเทคโนโลยี", "Khon Kaen: learning with technology", "Khon Kaen Learning City",
         ["learning-technologies"], ["teen", "adult"]),
    ],
}

CHIANG_MAI_FESTIVAL = {
    "city": "chiang-mai",
    "festival": dict(
        slug="chiang-mai-learning-city-festival-2027",
        name_th="เทศกาลเมืองแห่งการเรียนรู้เชียงใหม่ 2570: เรียนรู้จากเจ้าของวัฒนธรรม",
        name_en="Chiang Mai Learning City Festival 2027: learning from the owners of a tradition",
        description_th=(
            "เทศกาลตามแนวทาง CCBD (Community-Cultural Based Demonstration Event) ของเมืองแห่งการเรียนรู้เชียงใหม่ "
            "เรียนรู้ด้วยการลงมือทำกับเจ้าของงานช่างและประเพณี ทั้งเครื่องเขิน ร่มบ่อสร้าง ผ้าทอล้านนา และอาหารพื้นเมือง "
            "เด็ก ผู้ใหญ่ และผู้สูงวัยเรียนรู้ไปด้วยกัน เวิร์กช็อปมีที่นั่งจำกัด กรุณาจองล่วงหน้า"
        ),
        description_en=(
            "A festival on Chiang Mai's Community-Cultural Based Demonstration (CCBD) model: learn by doing, from the "
            "people who own a craft or a tradition: lacquerware, Bo Sang paper umbrellas, Lanna weaving and local "
            "cooking, with children, adults and elders side by side. Workshops have limited seats: book ahead."
        ),
        starts_on=date(2027, 2, 13),
        ends_on=date(2027, 2, 14),
        timezone="Asia/Bangkok",
        venue_th="หอศิลปวัฒนธรรมเมืองเชียงใหม่ และลานอนุสาวรีย์สามกษัตริย์",
        venue_en="Chiang Mai City Arts & Cultural Centre and the Three Kings Monument square",
        address="Phra Pokklao Road, Si Phum, Mueang Chiang Mai, Chiang Mai",
        stamp_goal=5,
        allow_self_checkin=True,
    ),
    "venues": [
        ("stage", "เวทีลานสามกษัตริย์", "Three Kings square stage", "stage", None),
        ("courtyard", "ลานช่างฝีมือ", "Craft courtyard", "zone", 80),
        ("lacquer", "ห้องเครื่องเขิน", "Lacquerware room", "room", 24),
        ("weaving", "ห้องผ้าทอ", "Weaving room", "room", 16),
        ("kitchen", "ครัวชุมชน", "Community kitchen", "room", 30),
        ("stories", "ห้องเล่าเรื่อง", "Storytelling room", "room", 50),
    ],
    "sessions": [
        ((0, "09:00", "09:45"), "stage", "performance", "พิธีเปิดด้วยเพลงซอและสะล้อซึง", "Opening with Lanna sor singing and salo-sueng",
         None, ["lifelong-culture"], ALL_AGES, ["Sor singers of Chiang Mai"], "th"),
        ((0, "10:00", "12:00"), "lacquer", "workshop", "เครื่องเขินกับชุมชนนันทาราม", "Lacquerware with the Nantaram community",
         20, ["lifelong-culture", "workplace"], ["teen", "adult", "senior"], ["Nantaram lacquerware makers"], "th"),
        ((0, "10:00", "12:00"), "courtyard", "workshop", "วาดร่มบ่อสร้าง", "Paint a Bo Sang paper umbrella", 30,
         ["lifelong-culture", "family-community"], ALL_AGES, ["Bo Sang umbrella makers"], "th"),
        ((0, "10:00", "12:00"), "weaving", "workshop", "ทอผ้าตีนจกล้านนา", "Lanna weaving: the tin chok border", 12,
         ["lifelong-culture", "workplace"], ["teen", "adult", "senior"], ["Weavers' group"], "th"),
        ((0, "13:00", "15:00"), "kitchen", "workshop", "ทำข้าวซอยและน้ำพริกหนุ่มกับแม่อุ๊ย",
         "Cooking khao soi and nam prik num with the grandmothers", 24, ["family-community", "lifelong-culture"],
         ["child", "adult", "senior"], ["Community kitchen elders"], "th"),
        ((0, "13:00", "14:30"), "stories", "forum", "เสวนา: CCBD เรียนรู้จากเจ้าของวัฒนธรรม",
         "Forum: CCBD, learning from the owners of a tradition", None, ["family-community", "lifelong-culture"],
         ["adult", "senior"], ["Chiang Mai Learning City", "Chiang Mai city municipality"], "th"),
        ((0, "15:00", "16:00"), "stories", "activity", "ปู่ย่าเล่านิทาน: ตำนานล้านนาสำหรับเด็ก",
         "Grandparents' tales: Lanna legends for children", 40, ["family-community"], ["child", "senior"],
         ["Elders of Wat Ket"], "th"),
        ((0, "16:30", "17:30"), "stage", "performance", "ฟ้อนเล็บ เด็กกับผู้สูงวัย", "Fon lep, the fingernail dance, by children and elders",
         None, ["lifelong-culture", "family-community"], ALL_AGES, ["School and elders' dance groups"], "th"),
        ((1, "09:30", "11:30"), "courtyard", "workshop", "ตัดตุงล้านนา", "Cutting Lanna tung flags", 30,
         ["lifelong-culture", "family-community"], ALL_AGES, ["Lanna paper craftspeople"], "th"),
        ((1, "10:00", "12:00"), "lacquer", "workshop", "เครื่องเขินกับชุมชนนันทาราม (รอบสอง)",
         "Lacquerware with the Nantaram community (second round)", 20, ["lifelong-culture", "workplace"],
         ["teen", "adult", "senior"], ["Nantaram lacquerware makers"], "th"),
        ((1, "10:00", "12:00"), "weaving", "workshop", "ย้อมครามธรรมชาติ", "Natural indigo dyeing", 15,
         ["lifelong-culture", "workplace"], ["teen", "adult", "senior"], ["Weavers' group"], "th"),
        ((1, "13:00", "15:00"), "courtyard", "workshop", "ทำโคมล้านนา", "Making Lanna lanterns", 30,
         ["lifelong-culture", "family-community"], ALL_AGES, ["Lantern makers"], "th"),
        ((1, "13:00", "14:30"), "stories", "talk", "เชียงใหม่สู่รางวัลเมืองแห่งการเรียนรู้ของยูเนสโก",
         "Chiang Mai towards the UNESCO Learning City Award", None, ["quality-learning"], ["adult"],
         ["Chiang Mai Learning City"], "th-en"),
        ((1, "15:00", "16:00"), "stories", "workshop", "อักษรธรรมล้านนาเบื้องต้น", "Lanna script for beginners", 30,
         ["lifelong-culture", "inclusive-education"], ["teen", "adult", "senior"], ["Lanna script teachers"], "th"),
        ((1, "16:30", "17:30"), "stage", "performance", "ดนตรีพื้นเมือง สะล้อ ซึง", "Lanna folk music: salo and sueng", None,
         ["lifelong-culture"], ALL_AGES, ["Youth folk band"], "th"),
    ],
    "booths": [
        ("C01", "เครื่องเขินนันทาราม", "Nantaram lacquerware", "Nantaram community", ["lifelong-culture", "workplace"],
         ALL_AGES),
        ("C02", "ร่มบ่อสร้าง", "Bo Sang umbrellas", "Bo Sang umbrella makers", ["lifelong-culture"], ALL_AGES),
        ("C03", "ผ้าทอและสีธรรมชาติ", "Handwoven cloth and natural dyes", "Weavers' group", ["lifelong-culture", "workplace"],
         ["teen", "adult", "senior"]),
        ("C04", "ศูนย์การเรียนรู้ของเทศบาลนครเชียงใหม่", "Chiang Mai municipality's learning centres",
         "Chiang Mai city municipality", ["inclusive-education", "family-community"], ALL_AGES),
        ("C05", "สมุดสะสมแสตมป์เมืองแห่งการเรียนรู้", "The learning-city stamp card", "Chiang Mai Learning City",
         ["family-community"], ["child", "teen"]),
    ],
}

FESTIVALS = [LEARNING_CITY_DAYS, CHIANG_MAI_FESTIVAL]

# Development only: printed by `demo load` when it creates them, listed in README.md.
DEMO_USERS = [
    ("admin@demo.thetsakan.example", "admin", None, "demo-admin-2566"),
    ("organiser.bangkok@demo.thetsakan.example", "organiser", "bangkok", "demo-bangkok-2566"),
    ("organiser.chiang-mai@demo.thetsakan.example", "organiser", "chiang-mai", "demo-chiangmai-2566"),
]
