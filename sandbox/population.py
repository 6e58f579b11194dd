"""A synthetic Kenyan population with ground truth, to measure identity-resolution accuracy.

Each `Person` is one real human. `generate_population` turns the people into the rows the core
and channel systems would hold for them - typed the messy ways branches and apps type them, with
duplicate customers in core and the hard cases identity resolution must get right - and keeps the
truth: which source record belongs to which person. `write_population` loads the rows into empty
demo sources (`sandbox.sources.create_sources(..., sample=False)`).
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine, text

from sandbox.sources import FIRST_NAMES, LAST_NAMES, MIDDLE_NAMES, PLACEHOLDER_PHONE, to_msisdn

# Shares of people, chosen so that every hard case shows up in a few hundred people.
CORE_SHARE = 0.85
CHANNEL_SHARE = 0.60
FAMILY_SHARE = 0.05  # families of 2-4 sharing one phone, each with their own national ID
# National IDs are issued in sequence: twins and siblings registered together hold consecutive
# numbers, one edit apart, like a typo.
TWIN_SHARE = 0.03  # twins: same birth date, surname and phone; half boy-girl (Otieno / Atieno)
SIBLING_SHARE = 0.02  # siblings registered together: surname, phone; born a year or a day apart
MISSING_GENDER = 0.1
PLACEHOLDER_SHARE = 0.03  # core typed '00000000', '0700000000' or 'noemail@...' for them
FOREIGNER_SHARE = 0.02  # a passport number instead of a national ID
FORMAT_DUPLICATE_SHARE = 0.05  # a second core customer, the ID typed in another format
TYPO_DUPLICATE_SHARE = 0.03  # a second core customer, one digit of the ID mistyped
# Plain gaps in core records of ordinary people.
MISSING_ID, MISSING_PHONE, MISSING_BIRTH_DATE = 0.02, 0.02, 0.03
WITHOUT_EMAIL = 0.2
# Dual SIM: a second line of their own. The branch records it as "SecondaryPhone" for some;
# some bank on it (their channel MSISDN).
SECOND_LINE_SHARE, SECOND_LINE_ON_FILE, BANKS_ON_SECOND_LINE = 0.25, 0.5, 0.3
# Kikuyu sons are named after their grandfather, so the son of "Kamau Njoroge" is "Njoroge
# Kamau": pairs of a father and a son on one household line, which the son banks on (the father
# has no login: channel keys a user by the line). Some sons have a core record of their own.
FATHER_SON_SHARE, SON_IN_CORE = 0.02, 0.5
# Muslim and Somali Kenyans carry Arabic-origin names that each system spells its own way.
ARABIC_NAME_SHARE, ANOTHER_SPELLING = 0.08, 0.4
# Safaricom gives a line idle for months to someone else: an old login on it is its former
# holder's, while core lists the line for its new holder.
RECYCLED_LINE_SHARE = 0.01

NICKNAMES = {
    "John": "Johnny", "Peter": "Pete", "James": "Jim", "David": "Dave", "Joseph": "Joe",
    "Daniel": "Dan", "Brian": "Bryo", "Kevin": "Kev", "Dennis": "Denno", "Caroline": "Carol",
    "Esther": "Essy", "Wanjiru": "Shiru", "Njeri": "Njesh", "Mercy": "Mercie", "Grace": "Gracie",
    "Hassan": "Hass", "Halima": "Hali", "Purity": "Pure",
}  # fmt: skip
# The names of FIRST_NAMES that are women's; the others are men's.
FEMALE_FIRST_NAMES = frozenset(
    {
        "Alice", "Mary", "Grace", "Faith", "Mercy", "Esther", "Wanjiru", "Akinyi", "Njeri",
        "Chebet", "Achieng", "Nyambura", "Amina", "Zawadi", "Imani", "Halima", "Sharon", "Purity",
        "Caroline",
    }
)  # fmt: skip
MALE_MIDDLE_NAMES = ("Kamau", "Mwangi", "Kiprotich", "Wekesa", "Mutua", "Kipchumba", "Mwenda")
# Luo names tell the time of birth, for a boy with O-, for a girl with A-: twins born at night
# are Otieno and Atieno.
BOY_GIRL_TWIN_NAMES = (
    ("Otieno", "Atieno"), ("Ochieng", "Achieng"), ("Odhiambo", "Adhiambo"), ("Omondi", "Amondi"),
    ("Onyango", "Anyango"), ("Owino", "Awino"), ("Okoth", "Akoth"), ("Opiyo", "Apiyo"),
    ("Odongo", "Adongo"), ("Oduor", "Aduor"), ("Ouma", "Auma"), ("Okinyi", "Akinyi"),
)  # fmt: skip
SISTER_NAMES = (("Wanjiru", "Wanjiku"), ("Njeri", "Nyeri"))  # one letter apart
# Kikuyu names a man carries as his given name and, as his father's name, as his surname.
KIKUYU_MEN = (
    "Kamau", "Njoroge", "Mwangi", "Kariuki", "Kimani", "Maina", "Ndungu", "Gitau", "Njeru",
    "Waweru", "Karanja", "Githinji", "Macharia", "Mbugua",
)  # fmt: skip
# Arabic-origin names as core writes them, and the other spellings the other systems use; this
# table is the generator's own (written from usage), not the matcher's.
ARABIC_MEN = ("Ahmed", "Mohamed", "Ibrahim", "Abdullahi", "Hussein", "Yusuf", "Hassan", "Omar")
ARABIC_WOMEN = ("Fatuma", "Amina", "Halima", "Khadija", "Zainab", "Mariam", "Asha")
ARABIC_SURNAMES = ("Mohamed", "Ali", "Hassan", "Abdi", "Omar", "Hussein", "Ibrahim", "Ahmed")
SPELLINGS = {
    "Ahmed": ("Ahmad",), "Mohamed": ("Mohammed", "Muhammad", "Mohammad"),
    "Ibrahim": ("Ebrahim", "Ibrahimu"), "Abdullahi": ("Abdulahi",),
    "Hussein": ("Husein", "Hussain"), "Yusuf": ("Yussuf", "Yusufu", "Yousuf"),
    "Omar": ("Umar",), "Khadija": ("Hadija",), "Mariam": ("Maryam",), "Fatuma": ("Fatima",),
    "Asha": ("Aisha",), "Zainab": ("Zeinab",), "Abdi": ("Abdy",),
}  # fmt: skip
NATIONALITIES = ("Ugandan", "Tanzanian", "Rwandan", "South Sudanese", "British", "Indian")
EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "wekeza.co.ke")
# "IdentificationNumber" and "Email" are UNIQUE in core, so each placeholder string is typed once;
# later placeholder customers get NULL, as the branch would have had to.
PLACEHOLDER_IDS = (
    "00000000", "ID00000000", "00 000 000", "00.000.000", "KE-ID-00000000", " 00000000", "0000000",
)  # fmt: skip
PLACEHOLDER_EMAILS = (
    "noemail@wekeza.co.ke", "na@na.com", "NOEMAIL@WEKEZA.CO.KE", "NA@NA.COM", "Na@na.com",
    " noemail@wekeza.co.ke", "na@na.com ",
)  # fmt: skip


@dataclass(frozen=True)
class Person:
    person_id: int
    first_name: str
    middle_name: str | None
    last_name: str
    national_id: str | None  # canonical, 8 digits; None for a foreigner
    gender: str  # 'female' | 'male'
    date_of_birth: date
    phone: str  # E.164; shared within a family and by twins
    email: str | None  # canonical: trimmed, lower case
    passport: str | None = None  # a foreigner's document in place of the national ID
    nationality: str = "Kenyan"
    second_phone: str | None = None  # E.164, their own (dual SIM)
    channel_phone: str | None = None  # the line they enrolled for mobile banking, if they did
    former_phone: str | None = None  # a line of theirs since recycled to someone else


@dataclass
class Population:
    people: list[Person]
    core_customers: list[dict[str, Any]]  # "Customers" columns except "CreatedAt"/"UpdatedAt"
    core_accounts: list[dict[str, Any]]  # one "Accounts" row per customer, same exception
    channel_users: list[dict[str, Any]]  # users columns except created_at/updated_at
    truth: dict[tuple[str, str], int]  # (source_system, source_customer_id) -> person_id
    # Person ids per hard case: family, twin and sibling (in registration pairs), placeholder,
    # foreigner, format_duplicate, typo_duplicate, nickname (channel account_name is a
    # nickname), second_line, father_son (in pairs, the father first), transliterated (channel
    # spells the name another way), recycled_line (the former holder, then the new one).
    cases: dict[str, list[int]]
    # the group's other systems, when asked for: {source: [(table, rows)]}
    group_rows: dict[str, list[tuple[str, list[dict[str, Any]]]]] = field(default_factory=dict)


def generate_population(people: int, seed: int = 1, group: bool = False) -> Population:
    """`people` persons and their source rows; the same seed gives the same population. With
    `group`, some of them are also in core_v1, openbanking and global (drawn from a random
    stream of their own: core and channel stay exactly what they are without it)."""
    population = _Generator(random.Random(seed)).run(people)
    if group:
        from sandbox.group_population import spread_over_group

        spread_over_group(population, random.Random(f"group-{seed}"))
    return population


def write_population(urls: dict[str, str], population: Population) -> None:
    """Insert the population into created, empty demo sources ('core' and 'channel' URLs, and
    those of the group's systems it was spread over)."""
    _insert(
        urls["core"],
        [("Customers", population.core_customers), ("Accounts", population.core_accounts)],
        ("CreatedAt", "UpdatedAt"),
    )
    _insert(urls["channel"], [("users", population.channel_users)], ("created_at", "updated_at"))
    stamps = {"core_v1": ("CreatedAt", "UpdatedAt"), "dfs": ("created_at",)}
    for source, tables in population.group_rows.items():
        if source in urls:  # dfs only where a MySQL/MariaDB serves it
            _insert(urls[source], tables, stamps.get(source, ("created_at", "updated_at")))


def _insert(
    url: str, tables: list[tuple[str, list[dict[str, Any]]]], stamps: tuple[str, ...]
) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote_identifier  # "x" or `x`
            for table, rows in tables:
                present = conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})"))
                if present.scalar_one():
                    raise ValueError(f"{table} in {engine.url.database} is not empty")
                if not rows:
                    continue
                columns = list(rows[0])
                names = ", ".join(quote(c) for c in (*columns, *stamps))
                values = ", ".join([f":{c}" for c in columns] + ["now()"] * len(stamps))
                conn.execute(text(f"INSERT INTO {quote(table)} ({names}) VALUES ({values})"), rows)
    finally:
        engine.dispose()


class _Generator:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: list[Person] = []
        self.national_ids: set[str] = set()  # canonical, including mistyped ones
        self.phones: set[str] = set()
        self.emails: set[str] = set()  # canonical, including second addresses
        self.passports: set[str] = set()
        self.registered_together: set[int] = set()  # twins and siblings
        self.cases: dict[str, list[int]] = {
            kind: []
            for kind in (
                "family",
                "twin",
                "sibling",
                "placeholder",
                "foreigner",
                "format_duplicate",
                "typo_duplicate",
                "nickname",
                "second_line",
                "father_son",
                "transliterated",
                "recycled_line",
            )
        }
        # who is in core, and the line they bank on (None: no login), decided by their case
        self.placed: dict[int, tuple[bool, str | None]] = {}
        self.sons: set[int] = set()
        self.placeholder_ids = iter(PLACEHOLDER_IDS)
        self.placeholder_emails = iter(PLACEHOLDER_EMAILS)

    def run(self, count: int) -> Population:
        grouped = self._groups(count)
        singles = [p for p in self.people if p.person_id not in grouped]
        foreigners = self.rng.sample(singles, min(len(singles), round(FOREIGNER_SHARE * count)))
        for person in foreigners:
            self.people[person.person_id - 1] = self._foreign(person)
        placeholders = {
            p.person_id for p in self.rng.sample(self.people, round(PLACEHOLDER_SHARE * count))
        }
        self.cases["placeholder"] = sorted(placeholders)

        in_core, in_channel = self._membership(grouped)
        first_copies = {
            p.person_id: self._customer(p, p.person_id in placeholders)
            for p in self.people
            if p.person_id in in_core
        }
        for pid in in_channel & in_core:
            if not self.people[pid - 1].former_phone:  # a recycled line is on file no more
                self._enrol(self.people[pid - 1], first_copies[pid])
        customers = list(first_copies.values())
        customers += self._duplicates(first_copies, placeholders)
        self.rng.shuffle(customers)  # a duplicate was opened later, at another branch
        accounts = []
        for n, customer in enumerate(customers, start=1):
            customer["CustomerNumber"] = f"CUST{n:07d}"
            accounts.append(self._account(n, customer["Id"]))
        users = [self._user(p) for p in self.people if p.person_id in in_channel]
        self.cases["second_line"] = sorted(
            p.person_id
            for p in self.people
            if p.channel_phone and p.channel_phone not in (p.phone, p.former_phone)
        )
        truth = {("core", str(c["Id"])): c.pop("_person") for c in customers}
        truth |= {("channel", str(u["user_id"])): u.pop("_person") for u in users}
        return Population(self.people, customers, accounts, users, truth, self.cases)

    # People

    def _groups(self, count: int) -> set[int]:
        """Create all people: families and twins first, then singles. Returns the grouped ids."""
        grouped: set[int] = set()
        family_target = round(FAMILY_SHARE * count)
        while len(self.cases["family"]) < family_target and count - len(self.people) >= 2:
            size = min(self.rng.randint(2, 4), count - len(self.people))
            self._family(size)
        for _ in range(round(TWIN_SHARE * count / 2)):
            if count - len(self.people) >= 2:
                self._twins()
        for _ in range(round(SIBLING_SHARE * count / 2)):
            if count - len(self.people) >= 2:
                self._siblings()
        for _ in range(round(FATHER_SON_SHARE * count / 2)):
            if count - len(self.people) >= 2:
                self._father_and_son()
        for _ in range(round(RECYCLED_LINE_SHARE * count)):
            if count - len(self.people) >= 2:
                self._recycled_line()
        self.registered_together = set(self.cases["twin"] + self.cases["sibling"])
        grouped.update(self.cases["family"], self.registered_together, self.placed)
        while len(self.people) < count:
            self._person()
        return grouped

    def _person(
        self,
        first: str | None = None,
        last: str | None = None,
        national_id: str | None = None,
        born: date | None = None,
        phone: str | None = None,
        gender: str | None = None,
    ) -> Person:
        """A new person; what is not given is drawn fresh (IDs, phones, emails never repeat).
        A given first name without a gender is one of FIRST_NAMES, whose gender is known."""
        if first is None:
            first = self._first_name(gender or self.rng.choice(("female", "male")))
        gender = gender or (
            "female" if first in FEMALE_FIRST_NAMES or first in ARABIC_WOMEN else "male"
        )
        if last is None and first in (*ARABIC_MEN, *ARABIC_WOMEN) and self.rng.random() < 0.8:
            last = self.rng.choice(ARABIC_SURNAMES)
        last = last or self.rng.choice(LAST_NAMES)
        middle_names = MIDDLE_NAMES if gender == "female" else MALE_MIDDLE_NAMES
        person = Person(
            person_id=len(self.people) + 1,
            first_name=first,
            middle_name=self.rng.choice(middle_names) if self.rng.random() < 0.4 else None,
            last_name=last,
            national_id=national_id or self._new_national_id(),
            gender=gender,
            date_of_birth=born or date(1950, 1, 1) + timedelta(days=self.rng.randrange(20000)),
            phone=phone or self._new_phone(),
            email=None if self.rng.random() < WITHOUT_EMAIL else self._new_email(first, last),
            second_phone=self._new_phone() if self.rng.random() < SECOND_LINE_SHARE else None,
        )
        self.people.append(person)
        return person

    def _family(self, size: int) -> None:
        head = self._person()
        members = [head]
        for _ in range(size - 1):
            # Most share the surname; a spouse may keep their own.
            last = head.last_name if self.rng.random() < 0.8 else None
            taken = {m.first_name for m in members}
            first = self.rng.choice([n for n in FIRST_NAMES if n not in taken])
            members.append(self._person(first, last, phone=head.phone))
        self.cases["family"] += [m.person_id for m in members]

    def _first_name(self, gender: str, other_than: str | None = None) -> str:
        """A given name for the gender, never `other_than` (a twin's or a sibling's)."""
        if self.rng.random() < ARABIC_NAME_SHARE:
            names = ARABIC_WOMEN if gender == "female" else ARABIC_MEN
        else:
            names = tuple(
                n for n in FIRST_NAMES if (n in FEMALE_FIRST_NAMES) == (gender == "female")
            )
        return self.rng.choice([n for n in names if n != other_than])

    def _pair(self, case: str, names: list[tuple[str, str]], days_apart: int) -> None:
        """Two people registered together: consecutive national IDs, one surname, one phone;
        `names` are (first name, gender), `days_apart` between their births."""
        number = self._new_national_id(consecutive=True)
        surname = self.rng.choice([n for n in LAST_NAMES if n not in dict(names)])
        (first_name, first_gender), (second_name, second_gender) = names
        first = self._person(first_name, surname, number, gender=first_gender)
        second = self._person(
            second_name,
            surname,
            national_id=f"{int(number) + 1:08d}",
            born=first.date_of_birth + timedelta(days=days_apart),
            phone=first.phone,
            gender=second_gender,
        )
        self.cases[case] += [first.person_id, second.person_id]

    def _twins(self) -> None:
        """Half boy-girl, named for the same hour (Otieno / Atieno); half of one gender, with
        given names of their own."""
        if self.rng.random() < 0.5:
            boy, girl = self.rng.choice(BOY_GIRL_TWIN_NAMES)
            names = [(boy, "male"), (girl, "female")]
            self.rng.shuffle(names)
        else:
            gender = self.rng.choice(("female", "male"))
            first = self._first_name(gender)
            names = [(first, gender), (self._first_name(gender, other_than=first), gender)]
        self._pair("twin", names, days_apart=0)

    def _siblings(self) -> None:
        """Half sisters named one letter apart (Wanjiru / Wanjiku); a year apart, or a day as a
        branch typed it."""
        if self.rng.random() < 0.5:
            names = [(name, "female") for name in self.rng.choice(SISTER_NAMES)]
        else:
            genders = [self.rng.choice(("female", "male")) for _ in range(2)]
            first = self._first_name(genders[0])
            names = [(first, genders[0]), (self._first_name(genders[1], first), genders[1])]
        self._pair("sibling", names, days_apart=self.rng.choice((1, 365, 366, 730)))

    def _father_and_son(self) -> None:
        """The son of "Kamau Njoroge" is "Njoroge Kamau"; he banks on the household line that
        core lists for his father, and may have a core record of his own with that line."""
        given, surname = self.rng.sample(KIKUYU_MEN, 2)
        born = date(1940, 1, 1) + timedelta(days=self.rng.randrange(40 * 365))
        father = self._person(given, surname, born=born, gender="male")
        years = self.rng.randint(20, 35)
        son = self._person(
            surname,
            given,
            born=father.date_of_birth + timedelta(days=365 * years + self.rng.randrange(365)),
            phone=father.phone,
            gender="male",
        )
        self.placed[father.person_id] = (True, None)
        self.placed[son.person_id] = (self.rng.random() < SON_IN_CORE, father.phone)
        self.cases["father_son"] += [father.person_id, son.person_id]
        self.sons.add(son.person_id)

    def _recycled_line(self) -> None:
        """A line idle for months went to someone else: the former holder's old login is still
        on it, core lists it for its new holder, and the former holder has another number."""
        new_holder = self._person()
        former = self._person()
        self.people[former.person_id - 1] = replace(former, former_phone=new_holder.phone)
        self.placed[former.person_id] = (self.rng.random() < CORE_SHARE, new_holder.phone)
        self.placed[new_holder.person_id] = (True, None)
        self.cases["recycled_line"] += [former.person_id, new_holder.person_id]

    def _foreign(self, person: Person) -> Person:
        self.cases["foreigner"].append(person.person_id)
        passport = None
        while passport is None or passport in self.passports or len(set(passport[-6:])) == 1:
            passport = self.rng.choice("ABCP") + f"{self.rng.randrange(10**7):07d}"
        self.passports.add(passport)
        nationality = self.rng.choice(NATIONALITIES)
        return replace(person, national_id=None, passport=passport, nationality=nationality)

    def _new_national_id(self, consecutive: bool = False) -> str:
        """A fresh 8-digit number that normalizes to itself; with `consecutive`, the next one
        is free too (twins register together)."""
        while True:
            number = f"{self.rng.randrange(10**6, 4 * 10**7):08d}"
            taken = {number, f"{int(number) + 1:08d}"} if consecutive else {number}
            if self.national_ids.isdisjoint(taken) and all(len(set(n)) > 1 for n in taken):
                self.national_ids |= taken
                return number

    def _new_phone(self) -> str:
        while True:
            prefix = self.rng.choice(("7", "7", "7", "11"))  # 07XX and the newer 011X range
            nsn = prefix + "".join(self.rng.choices("0123456789", k=9 - len(prefix)))
            # Six equal trailing digits read as a placeholder number to normalization.
            if nsn not in self.phones and len(set(nsn[-6:])) > 1:
                self.phones.add(nsn)
                return f"+254{nsn}"

    def _new_email(self, first: str, last: str) -> str:
        user = self.rng.choice((f"{first}.{last}", f"{first}{last[0]}", f"{first[0]}{last}"))
        domain = self.rng.choice(EMAIL_DOMAINS)
        address, n = f"{user}@{domain}".lower(), 1
        while address in self.emails:
            n += 1
            address = f"{user}{n}@{domain}".lower()
        self.emails.add(address)
        return address

    def _membership(self, grouped: set[int]) -> tuple[set[int], set[int]]:
        """Who is in core and who in channel; everyone in at least one. Families and twins are
        all in core, where they meet; channel keys a user by MSISDN, so only the first person
        to enrol a shared phone can have a channel login (another may enrol their own line)."""
        in_core, in_channel = set(), set()
        channel_phones: set[str] = set()
        for person in self.people:
            # One draw for both: [0, 1 - CHANNEL) core only, then both, [CORE, 1) channel only.
            draw = self.rng.random()
            if person.person_id in self.placed:
                core, line = self.placed[person.person_id]
                if line is not None:
                    channel_phones.add(line)
                    in_channel.add(person.person_id)
                    self.people[person.person_id - 1] = replace(person, channel_phone=line)
                if core:
                    in_core.add(person.person_id)
                continue
            core = person.person_id in grouped or draw < CORE_SHARE
            channel = draw >= 1 - CHANNEL_SHARE
            line = person.phone
            if person.second_phone and self.rng.random() < BANKS_ON_SECOND_LINE:
                line = person.second_phone
            if channel and line not in channel_phones:
                channel_phones.add(line)
                in_channel.add(person.person_id)
                self.people[person.person_id - 1] = replace(person, channel_phone=line)
            else:
                core = True
            if core:
                in_core.add(person.person_id)
        return in_core, in_channel

    # Core

    def _customer(self, person: Person, placeholder: bool) -> dict[str, Any]:
        if person.passport:
            document: str | None = person.passport
        elif self.rng.random() < MISSING_ID:
            document = None
        else:
            document = _typed_id(self.rng, person.national_id or "")
        phone = None if self.rng.random() < MISSING_PHONE else _typed_phone(self.rng, person.phone)
        second = None
        if person.second_phone and self.rng.random() < SECOND_LINE_ON_FILE:
            second = _typed_phone(self.rng, person.second_phone)
        email = _typed_email(self.rng, person.email) if person.email else None
        if placeholder:
            # One to three mandatory fields filled with a placeholder.
            for kind in self.rng.sample(("id", "phone", "email"), self.rng.randint(1, 3)):
                if kind == "id":
                    document = next(self.placeholder_ids, None)
                elif kind == "phone":
                    phone = PLACEHOLDER_PHONE
                else:
                    email = next(self.placeholder_emails, None)
        # Twins and siblings keep their birth date: it is what makes them look like one person.
        together = person.person_id in self.registered_together
        keeps_birth_date = together or self.rng.random() >= MISSING_BIRTH_DATE
        return {
            "_person": person.person_id,
            "Id": self._uuid(),
            "CustomerNumber": None,  # numbered once the customers are in opening order
            "FirstName": person.first_name,
            "MiddleName": person.middle_name,
            "LastName": person.last_name,
            "Email": email,
            "IdentificationNumber": document,
            "DateOfBirth": _midnight(person.date_of_birth) if keeps_birth_date else None,
            "Gender": self._typed_gender(person.gender),
            "Nationality": person.nationality,
            "PrimaryPhone": phone,
            "SecondaryPhone": second,
            "Status": self.rng.choice(("Active",) * 8 + ("ACTIVE", "Dormant")),
            "KYCStatus": self.rng.choice(("Verified", "Verified", "Pending")),
            "AMLRiskRating": self.rng.choice(("Low", "Low", "Low", "Medium", "High")),
        }

    def _enrol(self, person: Person, customer: dict[str, Any]) -> None:
        """Mobile-banking enrolment puts the line on the customer's record when the bank does
        not have it yet (the primary field missing, a placeholder, or another number): the
        channel user is only reachable through the customer's "SecondaryPhone" then."""
        on_file = {customer["SecondaryPhone"] and person.second_phone}
        if customer["PrimaryPhone"] not in (None, PLACEHOLDER_PHONE):
            on_file.add(person.phone)
        if person.channel_phone not in on_file:
            customer["SecondaryPhone"] = _typed_phone(self.rng, person.channel_phone or "")

    def _duplicates(
        self, first_copies: dict[int, dict[str, Any]], placeholders: set[int]
    ) -> list[dict[str, Any]]:
        """Second customers for the same people, opened at another branch."""
        people = {p.person_id: p for p in self.people}
        candidates = [
            pid
            for pid, customer in first_copies.items()
            if pid not in placeholders
            and people[pid].national_id
            and customer["IdentificationNumber"]
        ]
        total = len(self.people)
        chosen = self.rng.sample(
            candidates,
            min(len(candidates), round((FORMAT_DUPLICATE_SHARE + TYPO_DUPLICATE_SHARE) * total)),
        )
        typos = set(chosen[: round(TYPO_DUPLICATE_SHARE * total)])
        copies = []
        for pid in chosen:
            person, first = people[pid], first_copies[pid]
            if pid in typos:
                number = self._mistyped(person.national_id or "")
                document = _typed_id(self.rng, number)
                self.cases["typo_duplicate"].append(pid)
                # The name and birth date match exactly: that is what tells the typo apart.
                names = {"MiddleName": first["MiddleName"]}
                first["DateOfBirth"] = _midnight(person.date_of_birth)
            else:
                document = first["IdentificationNumber"]
                while document == first["IdentificationNumber"]:
                    document = _typed_id(self.rng, person.national_id or "")
                self.cases["format_duplicate"].append(pid)
                names = {"MiddleName": first["MiddleName"] if self.rng.random() < 0.7 else None}
            copies.append(
                first
                | names
                | {
                    "Id": self._uuid(),
                    "IdentificationNumber": document,
                    "DateOfBirth": _midnight(person.date_of_birth),
                    "Gender": self._typed_gender(person.gender),
                    "PrimaryPhone": _typed_phone(self.rng, person.phone)
                    if self.rng.random() < 0.9
                    else None,
                    # "Email" is UNIQUE: the other branch recorded another address, or none.
                    "Email": self._new_email(person.first_name, person.last_name)
                    if self.rng.random() < 0.5
                    else None,
                }
            )
        return copies

    def _typed_gender(self, gender: str) -> str | None:
        if self.rng.random() < MISSING_GENDER:
            return None
        word = gender.capitalize()
        return self.rng.choice((word, word, word[0], word.upper()))

    def _mistyped(self, number: str) -> str:
        """`number` with one digit wrong, never another person's number."""
        while True:
            at = self.rng.randrange(len(number))
            digit = self.rng.choice([d for d in "0123456789" if d != number[at]])
            typo = number[:at] + digit + number[at + 1 :]
            if typo not in self.national_ids and len(typo.lstrip("0")) >= 7 and len(set(typo)) > 1:
                self.national_ids.add(typo)
                return typo

    def _account(self, n: int, customer_id: uuid.UUID) -> dict[str, Any]:
        balance = Decimal(self.rng.randrange(0, 5_000_000)) / 100
        return {
            "Id": self._uuid(),
            "AccountNumber": f"ACC{n:010d}",
            "CustomerId": customer_id,
            "AccountType": self.rng.choice(("Savings", "Savings", "Current")),
            "Currency": "KES",
            "Balance": balance,
            "AvailableBalance": balance,
            "Status": "Active",
            "IsFrozen": False,
            "IsClosed": False,
            "ClosedAt": None,
        }

    # Channel

    def _user(self, person: Person) -> dict[str, Any]:
        user_id = self._uuid()
        # secrets beside the data (NOT NULL in Salama): present, never read
        secret = hashlib.sha256(user_id.bytes).hexdigest()
        return {
            "_person": person.person_id,
            "user_id": user_id,
            "account_id": to_msisdn(person.channel_phone or person.phone),
            # NOT NULL in Salama: a user who gave no name has an empty one
            "account_name": self._account_name(person) or "",
            "account_type": "Savings",
            "currency": "KES",
            "pin_hash": secret,
            "plain_pin_encrypted": secret,
            "is_in_shadow_mode": False,
        }

    def _account_name(self, person: Person) -> str | None:
        first, last = person.first_name, person.last_name
        if person.person_id in self.sons:
            # the son writes his given name first: the order is what tells him from his father
            return self.rng.choice((f"{first} {last[0]}.", f"{first} {last}", first))
        if (first in SPELLINGS or last in SPELLINGS) and self.rng.random() < ANOTHER_SPELLING:
            self.cases["transliterated"].append(person.person_id)
            first = self.rng.choice(SPELLINGS.get(first, (first,)))
            last = self.rng.choice(SPELLINGS.get(last, (last,)))
            return self.rng.choice((f"{first} {last}", f"{first} {last[0]}.", first))
        pick = self.rng.random()
        if pick < 0.1 and first in NICKNAMES:
            self.cases["nickname"].append(person.person_id)
            return self.rng.choice((NICKNAMES[first], f"{NICKNAMES[first]} {last}"))
        return self.rng.choice(
            (
                f"{first} {last}",
                f"{first} {last}",
                f"{first} {last}".upper(),
                f"{first} {last}".lower(),
                f"{first} {last[0]}.",
                f"{last} {first}",
                first,
                None,
            )
        )

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)


def _typed_id(rng: random.Random, number: str) -> str:
    """An 8-digit national ID as a branch types it."""
    return rng.choices(
        (
            number,
            f"ID{number}",
            f"{number[:2]} {number[2:5]} {number[5:]}",
            f"{number[:2]}.{number[2:5]}.{number[5:]}",
            f"KE-ID-{number}",
            f" {number} ",
        ),
        weights=(45, 25, 10, 7, 8, 5),
    )[0]


def _typed_phone(rng: random.Random, e164: str) -> str:
    """A +254 number in one of the forms the real systems hold."""
    nsn = e164.removeprefix("+254")
    return rng.choice(
        (
            e164,
            f"254{nsn}",
            f"0{nsn[:3]} {nsn[3:6]} {nsn[6:]}",
            nsn,
            f"0{nsn}",
            f"00254{nsn}",
        )
    )


def _typed_email(rng: random.Random, address: str) -> str:
    return rng.choices(
        (address, address.capitalize(), address.upper(), f" {address} ", f"{address.title()} "),
        weights=(50, 15, 10, 15, 10),
    )[0]


def _midnight(day: date) -> datetime:
    """Core's "DateOfBirth" is a timestamp without time zone."""
    return datetime(day.year, day.month, day.day)
