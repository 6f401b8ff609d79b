"""Deterministic demo and benchmark data: `odyssey db seed [--scale small|medium|large]`.

Every value derives from one fixed seed (SEED = 42, one `random.Random` per table stream, seeded from it) and
fixed dates around ANCHOR_DATE, never from today's date, so two runs give byte-identical tables. Rows are
streamed with COPY (psycopg 3 `cursor.copy`) inside ONE transaction: an error rolls everything back and leaves
the database as it was. A database that already has organizations is refused (`odyssey db reset` starts over).

Shapes other code relies on:
* organizations.settings -> 'payroll' = {timezone (IANA), workweek_start (weekday name), pay_frequency
  (weekly|biweekly|semimonthly|monthly), overtime_rules (federal|california)}.
* employees.tax_info = {"w4": {filing_status, step2_checkbox, step3_amount, step4a_other_income,
  step4b_deductions, step4c_extra_withholding} (amounts as decimal strings), "flsa_exempt", "exempt_from_withholding"};
  contractors carry no "w4"; a handful of employees have a missing or incomplete W-4 on purpose.
* time_entries: the two workweeks PERIOD_START .. ANCHOR_DATE (Mon 2026-11-16 .. Sun 2026-11-29), clock times
  local to the organization's timezone, break_duration as an interval, total_hours = elapsed - break. Shapes:
  8-hour days (often clocked out for lunch: two entries), four tens, three twelves, weekend crews, night shifts
  (the Sunday-night shift crosses into Monday, i.e. over a workweek boundary; the last one ends after
  ANCHOR_DATE), part-timers and an overtime crew; new hires and terminations inside the period. Week one is
  approved by an organization admin, week two is not. Salaried FLSA-exempt employees log no time.
* bids: the segment of every bid (service_type, region, complexity) is stored in each line item and in the
  first line of `notes` ("segment: service_type=...; region=...; complexity=..."); the schema has no metadata
  column. Line items carry unit_cost, so cost = sum(unit_cost * quantity), markup = (subtotal - cost) / cost and
  margin_percentage = (subtotal - cost) / subtotal * 100 (margin on price). Resolved outcomes (accepted /
  rejected / expired) are drawn from a known logistic win model in the markup (BID_WIN_MODEL, also stored in
  system_knowledge 'seed'/'bid_win_model') so a margin optimiser can be checked against the ground truth; bids
  of the last 30 days are still draft or sent.
* invoices agree with payments: amount_paid = sum of succeeded payments, balance_due = total - amount_paid.
* The row-audit trigger (ops.fn_log_change) is disabled inside the seed's own transaction during the bulk load
  and enabled again before commit (nobody else ever sees it off); one system_logs line per audited table
  records what was loaded instead of one audit row per generated row.
* Not seeded: payroll_runs and paystubs. They are what run-payroll computes, and fake past stubs would feed
  wrong year-to-date wages into every later run.

Demo logins (password DEMO_PASSWORD): owner@acme.test, admin@acme.test, member@acme.test, owner@globex.test,
admin@globex.test, member@globex.test, owner@initech.test, member@initech.test, multi@odyssey.test (member of two
organizations) and admin@odyssey.test (platform admin).
"""

from __future__ import annotations

import importlib
import json
import math
import random
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

SEED = 42
ANCHOR_DATE = date(2026, 11, 29)  # the last day (a Sunday) of the two seeded workweeks
PERIOD_START = ANCHOR_DATE - timedelta(days=13)  # Monday 2026-11-16
SEED_NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # "now" as the seeded data sees it
DEMO_PASSWORD = "odyssey-demo"  # noqa: S105 - the documented password of local demo logins
_BCRYPT_SALT = "$2a$06$OdysseySeedDemoSalt123"  # fixed salt: the same hash on every run
_LOCK_KEY = 7_155_042  # transaction advisory lock: one seeder at a time
_INSTANCE = "00000000-0000-0000-0000-000000000000"


class SeedError(RuntimeError):
    """Seeding failed or was refused; the message is one line and the database is unchanged."""


@dataclass(frozen=True)
class Scale:
    """How much of everything one scale holds."""

    name: str
    organizations: int
    employees: int
    customers: int
    extra_members: int  # users per organization beyond owner and admin
    bids_per_customer: float
    standalone_invoices_per_customer: float
    logs_per_org: int
    ai_logs_per_org: int
    events_per_org: int
    appointments_per_org: int
    study_groups: int
    tutoring_sessions: int
    search_results: int


SCALES: dict[str, Scale] = {
    "small": Scale("small", 3, 30, 300, 1, 0.6, 0.3, 40, 30, 12, 15, 4, 12, 8),
    "medium": Scale("medium", 20, 1_000, 100_000, 2, 0.25, 0.1, 150, 80, 30, 60, 12, 80, 30),
    "large": Scale("large", 120, 10_000, 1_000_000, 2, 0.2, 0.08, 200, 100, 30, 80, 40, 300, 60),
}

# ---------------------------------------------------------------------------------------------------------
# Reference catalogs (our own lists; realistic enough for demos and for search/payroll benchmarks)

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra Mark Margaret "
    "Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian "
    "Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey Cynthia Ryan "
    "Dorothy Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan Emma Stephen Brenda Larry Pamela "
    "Justin Nicole Scott Anna Brandon Samantha Benjamin Katherine Samuel Christine Gregory Debra Alexander "
    "Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis Heather Jerry Helen Tyler Catherine "
    "Aaron Diane Jose Julie Adam Victoria Nathan Joyce Henry Lauren Zachary Kelly Douglas Christina Peter Ruth "
    "Kyle Joan Noah Virginia Ethan Judith Jeremy Evelyn Walter Hannah Christian Andrea Keith Megan Roger Cheryl "
    "Terry Jacqueline Austin Madison Sean Teresa Gerald Abigail Carl Sophia Harold Martha Dylan Sara Arthur "
    "Gloria Lawrence Janice Jordan Kathryn Jesse Ann Bryan Isabella Billy Judy Bruce Charlotte Gabriel Julia "
    "Joe Grace Logan Amber Alan Alice Juan Denise Albert Danielle Willie Marilyn Elijah Beverly Wayne Natalie "
    "Randy Theresa Vincent Diana Mason Brittany Roy Doris Ralph Kayla Bobby Alexis Russell Lori Bradley Marie "
    "Philip Tiffany Eugene Kristen Wei Mei Hiroshi Yuki Priya Arjun Aisha Omar Fatima Hassan Chen Ling Minh "
    "Thanh Kwame Amara Diego Lucia Mateo Valentina Santiago Camila Sofia"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall "
    "Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes "
    "Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard "
    "Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price "
    "Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell "
    "Coleman Butler Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton "
    "Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar "
    "Stevens Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells "
    "Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez "
    "Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone "
    "Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan "
    "Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Hansen Peters Santos Hart Bradley Knight "
    "Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Ruiz Harper Fox Riley Okafor Mensah "
    "Haddad Nakamura Tanaka Sato Wang Zhang Liu Singh Kumar Shah Khan Ali Ahmed Yilmaz Kowalski Novak O'Brien "
    "O'Connor McCarthy"
).split()
# ~14% of customers get a name from one of these (accented) locales: search must fold accents.
ACCENTED_NAMES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (  # German
        ("Jürgen", "Günther", "Björn", "Käthe", "Jörg", "Sören", "Ute", "Hans", "Lena", "Märta"),
        ("Müller", "Schröder", "Böhm", "Weiß", "Köhler", "Krüger", "Groß", "Jäger", "Hoffmann", "Schäfer"),
    ),
    (  # French
        ("Amélie", "Hélène", "Jérôme", "Françoise", "Zoé", "Léa", "Théo", "Chloé", "Gaël", "Noël"),
        (
            "Lefèvre",
            "Bérénger",
            "Gérard",
            "Mercier",
            "Rousseau",
            "Dubois",
            "Fontaine",
            "Girard",
            "Lemaître",
            "Hébert",
        ),
    ),
    (  # Spanish
        ("José", "María", "Ramón", "Inés", "Andrés", "Lucía", "Sebastián", "Begoña", "Iñaki", "Martín"),
        (
            "Núñez",
            "Peña",
            "Muñoz",
            "Ibáñez",
            "Gómez",
            "Jiménez",
            "Martínez",
            "Sánchez",
            "Fernández",
            "Rodríguez",
        ),
    ),
    (  # Italian / Nordic
        ("Niccolò", "Lucía", "Søren", "Åsa", "Øystein", "Mattia", "Giulia", "Björk", "Ingrid", "Lars"),
        (
            "Åberg",
            "Løvgren",
            "Ñañez",
            "Conti",
            "Esposito",
            "Romano",
            "Lindqvist",
            "Sjöberg",
            "Østergaard",
            "Ricci",
        ),
    ),
)

EMAIL_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "proton.me", "aol.com")
COMPANY_WORDS = (
    "Summit Pioneer Cedar Harbor Granite Evergreen Liberty Keystone Riverside Oakridge Silverline Northwind "
    "Bluebird Ironwood Maple Lakeshore Redstone Brightway Crescent Heritage Meridian Sterling Frontier Canyon "
    "Prairie Coastal Highland Union Beacon Horizon"
).split()
COMPANY_KINDS = (
    "Properties",
    "Dental",
    "Realty",
    "Bakery",
    "Logistics",
    "Holdings",
    "Hotel",
    "Clinic",
    "Academy",
    "Motors",
    "Partners",
    "Foods",
    "Fitness",
    "Capital",
    "Studios",
    "Apartments",
    "Church",
    "School District",
    "Farms",
)
COMPANY_SUFFIXES = ("LLC", "Inc.", "Co.", "Group", "Ltd.", "")
STREET_NAMES = (
    "Oak Maple Pine Cedar Elm Washington Lake Hill Main Park Sunset Ridge Walnut Church Spring Highland Meadow "
    "Forest River Lincoln Jackson Jefferson Franklin Willow Chestnut Birch Madison Adams Magnolia Cherry"
).split()
STREET_KINDS = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Way", "Pl", "Pkwy")

# state -> (timezone, region, sales tax rate in basis points of 1/10000, ((city, zip prefix), ...))
STATES: dict[str, tuple[str, str, int, tuple[tuple[str, str], ...]]] = {
    "TX": ("America/Chicago", "southwest", 825, (("Austin", "787"), ("Houston", "770"), ("Dallas", "752"))),
    "CA": (
        "America/Los_Angeles",
        "west",
        925,
        (("Los Angeles", "900"), ("San Diego", "921"), ("Oakland", "946")),
    ),
    "NY": (
        "America/New_York",
        "northeast",
        888,
        (("Brooklyn", "112"), ("Buffalo", "142"), ("Albany", "122")),
    ),
    "IL": (
        "America/Chicago",
        "midwest",
        1025,
        (("Chicago", "606"), ("Naperville", "605"), ("Peoria", "616")),
    ),
    "FL": ("America/New_York", "southeast", 700, (("Miami", "331"), ("Orlando", "328"), ("Tampa", "336"))),
    "WA": ("America/Los_Angeles", "west", 1025, (("Seattle", "981"), ("Spokane", "992"), ("Tacoma", "984"))),
    "CO": ("America/Denver", "west", 775, (("Denver", "802"), ("Boulder", "803"), ("Aurora", "800"))),
    "AZ": ("America/Phoenix", "southwest", 840, (("Phoenix", "850"), ("Tucson", "857"), ("Mesa", "852"))),
    "GA": ("America/New_York", "southeast", 800, (("Atlanta", "303"), ("Savannah", "314"), ("Macon", "312"))),
    "OH": (
        "America/New_York",
        "midwest",
        725,
        (("Columbus", "432"), ("Cleveland", "441"), ("Dayton", "454")),
    ),
    "MI": ("America/Detroit", "midwest", 600, (("Detroit", "482"), ("Lansing", "489"), ("Ann Arbor", "481"))),
    "MN": (
        "America/Chicago",
        "midwest",
        788,
        (("Minneapolis", "554"), ("Saint Paul", "551"), ("Duluth", "558")),
    ),
    "MA": (
        "America/New_York",
        "northeast",
        625,
        (("Boston", "021"), ("Worcester", "016"), ("Cambridge", "021")),
    ),
    "PA": (
        "America/New_York",
        "northeast",
        600,
        (("Philadelphia", "191"), ("Pittsburgh", "152"), ("Erie", "165")),
    ),
    "NC": (
        "America/New_York",
        "southeast",
        700,
        (("Charlotte", "282"), ("Raleigh", "276"), ("Durham", "277")),
    ),
    "TN": (
        "America/Chicago",
        "southeast",
        925,
        (("Nashville", "372"), ("Memphis", "381"), ("Knoxville", "379")),
    ),
    "OR": ("America/Los_Angeles", "west", 0, (("Portland", "972"), ("Eugene", "974"), ("Salem", "973"))),
    "NV": (
        "America/Los_Angeles",
        "southwest",
        825,
        (("Las Vegas", "891"), ("Reno", "895"), ("Henderson", "890")),
    ),
    "HI": ("Pacific/Honolulu", "west", 450, (("Honolulu", "968"), ("Hilo", "967"), ("Kailua", "967"))),
    "AK": ("America/Anchorage", "west", 0, (("Anchorage", "995"), ("Fairbanks", "997"), ("Juneau", "998"))),
}
STATE_CODES = tuple(STATES)

SERVICE_TYPES = (
    "roofing",
    "plumbing",
    "electrical",
    "hvac",
    "landscaping",
    "painting",
    "general_contracting",
    "cleaning",
)
INDUSTRY_NAMES = {
    "roofing": "Roofing",
    "plumbing": "Plumbing",
    "electrical": "Electrical",
    "hvac": "HVAC",
    "landscaping": "Landscaping",
    "painting": "Painting",
    "general_contracting": "General Contracting",
    "cleaning": "Commercial Cleaning",
}
COMPLEXITIES = ("low", "medium", "high")
REGIONS = ("northeast", "southeast", "midwest", "southwest", "west")

# The ground truth behind bid outcomes: P(win | markup m) = 1 / (1 + exp(a + b*m)) with
# a = base + service + region + complexity, markup m = (price - cost) / cost. Expired bids count as losses.
BID_WIN_MODEL: dict[str, Any] = {
    "form": "P(win) = 1 / (1 + exp(a + b * markup)); markup = (subtotal - cost) / cost; a = base + effects",
    "base": -2.2,
    "slope_by_service": {
        "roofing": 9.0,
        "plumbing": 11.0,
        "electrical": 10.0,
        "hvac": 8.0,
        "landscaping": 14.0,
        "painting": 13.0,
        "general_contracting": 7.0,
        "cleaning": 16.0,
    },
    "service_effect": {
        "roofing": 0.0,
        "plumbing": -0.3,
        "electrical": -0.2,
        "hvac": 0.1,
        "landscaping": 0.4,
        "painting": 0.3,
        "general_contracting": -0.4,
        "cleaning": 0.5,
    },
    "region_effect": {"northeast": -0.2, "southeast": 0.2, "midwest": 0.0, "southwest": 0.1, "west": -0.3},
    "complexity_effect": {"low": 0.3, "medium": 0.0, "high": -0.5},
    "markup_range": [0.05, 0.55],
}

# (description, unit, low cost in cents, high cost in cents, quantity low, quantity high)
LINE_ITEM_CATALOG: dict[str, tuple[tuple[str, str, int, int, int, int], ...]] = {
    "roofing": (
        ("Tear-off existing shingles", "square", 9_000, 15_000, 10, 40),
        ("Architectural shingles installed", "square", 25_000, 42_000, 10, 40),
        ("Synthetic underlayment", "roll", 9_500, 14_000, 3, 12),
        ("Ridge vent", "linear ft", 600, 1_100, 20, 80),
        ("Flashing repair", "job", 25_000, 90_000, 1, 1),
        ("Dumpster and haul-away", "job", 45_000, 80_000, 1, 1),
    ),
    "plumbing": (
        ("Water heater replacement (50 gal)", "each", 95_000, 180_000, 1, 1),
        ("Repipe with PEX", "fixture", 35_000, 60_000, 4, 14),
        ("Drain line camera inspection", "job", 15_000, 30_000, 1, 1),
        ("Fixture installation", "each", 12_000, 28_000, 1, 6),
        ("Sewer line repair", "linear ft", 9_000, 25_000, 10, 60),
    ),
    "electrical": (
        ("Panel upgrade to 200A", "job", 180_000, 320_000, 1, 1),
        ("New circuit", "each", 18_000, 42_000, 1, 8),
        ("LED fixture install", "each", 6_500, 15_000, 4, 40),
        ("EV charger install", "each", 70_000, 160_000, 1, 2),
        ("Troubleshooting labor", "hour", 7_500, 12_500, 2, 16),
    ),
    "hvac": (
        ("Heat pump system (3 ton)", "each", 550_000, 950_000, 1, 1),
        ("Ductwork modification", "linear ft", 2_500, 6_000, 20, 120),
        ("Thermostat install", "each", 15_000, 40_000, 1, 3),
        ("Seasonal maintenance", "visit", 9_000, 18_000, 1, 4),
        ("Refrigerant recharge", "lb", 6_000, 15_000, 2, 10),
    ),
    "landscaping": (
        ("Sod installation", "sq ft", 90, 200, 500, 8_000),
        ("Irrigation zone", "zone", 45_000, 90_000, 1, 8),
        ("Tree removal", "each", 40_000, 180_000, 1, 4),
        ("Mulch and bed prep", "cubic yd", 4_500, 9_000, 5, 40),
        ("Weekly maintenance", "visit", 4_000, 12_000, 4, 26),
    ),
    "painting": (
        ("Interior walls, two coats", "sq ft", 150, 400, 400, 6_000),
        ("Exterior siding", "sq ft", 200, 550, 800, 4_000),
        ("Trim and doors", "each", 4_000, 12_000, 4, 30),
        ("Drywall patch", "each", 6_000, 20_000, 1, 10),
        ("Cabinet refinishing", "job", 150_000, 450_000, 1, 1),
    ),
    "general_contracting": (
        ("Kitchen remodel", "job", 1_800_000, 6_500_000, 1, 1),
        ("Bathroom remodel", "job", 900_000, 2_800_000, 1, 2),
        ("Framing labor", "hour", 5_500, 9_500, 16, 240),
        ("Permit and inspection fees", "job", 30_000, 250_000, 1, 1),
        ("Project management", "week", 80_000, 200_000, 1, 12),
        ("Deck build", "sq ft", 3_000, 7_500, 150, 600),
    ),
    "cleaning": (
        ("Office cleaning", "visit", 12_000, 45_000, 4, 22),
        ("Carpet deep clean", "sq ft", 25, 60, 500, 10_000),
        ("Window washing", "pane", 600, 1_500, 20, 300),
        ("Post-construction clean", "job", 60_000, 250_000, 1, 1),
        ("Floor strip and wax", "sq ft", 40, 90, 500, 8_000),
    ),
}
JOB_TITLES: dict[str, tuple[tuple[str, str, int, int], ...]] = {
    # pay_type -> (title, department, low, high) with hourly rates in cents or salaries in dollars
    "hourly": (
        ("Laborer", "Field Operations", 1_850, 2_600),
        ("Technician", "Field Operations", 2_400, 4_200),
        ("Senior Technician", "Field Operations", 3_400, 5_200),
        ("Electrician", "Field Operations", 3_200, 6_500),
        ("Crew Lead", "Field Operations", 3_000, 4_800),
        ("Dispatcher", "Operations", 2_000, 3_000),
        ("Customer Service Rep", "Sales", 1_900, 2_800),
        ("Warehouse Associate", "Logistics", 1_850, 2_500),
        ("Driver", "Logistics", 2_100, 3_200),
        ("Bookkeeper", "Finance", 2_400, 3_600),
    ),
    "salary": (
        ("Office Manager", "Administration", 48_000, 72_000),
        ("Project Manager", "Operations", 70_000, 125_000),
        ("Estimator", "Sales", 55_000, 95_000),
        ("Operations Director", "Operations", 110_000, 180_000),
        ("Controller", "Finance", 95_000, 160_000),
        ("HR Generalist", "Human Resources", 52_000, 80_000),
        ("Sales Representative", "Sales", 40_000, 70_000),
        ("Field Supervisor", "Field Operations", 58_000, 90_000),
    ),
}
EXEMPT_TITLES = {"Project Manager", "Operations Director", "Controller", "Estimator", "Office Manager"}


# ---------------------------------------------------------------------------------------------------------
# Small helpers


def _money_text(cents: int) -> str:
    """Integer cents -> "1234.56" (exact, no float on the way)."""
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _money(cents: int) -> Decimal:
    """Integer cents -> an exact two-place Decimal."""
    return Decimal(_money_text(cents))


def _pct_of(cents: int, basis_points: int) -> int:
    """cents * basis_points / 10000, rounded half up, in integer arithmetic."""
    return (cents * basis_points + 5_000) // 10_000


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _token(rng: random.Random, n: int = 24) -> str:
    return "".join(rng.choice(_ALNUM) for _ in range(n))


def _js(value: Any) -> str:
    """JSON text for a jsonb column (stable key order as written)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _allocate(total: int, count: int, minimum: int = 1, skew: float = 0.7) -> list[int]:
    """Split `total` over `count` organizations, the first ones largest (Zipf-like), exactly summing to total."""
    weights = [1.0 / (i + 1) ** skew for i in range(count)]
    scale = (total - minimum * count) / sum(weights)
    raw = [w * scale for w in weights]
    parts = [minimum + int(r) for r in raw]
    remainder = total - sum(parts)
    order = sorted(range(count), key=lambda i: (-(raw[i] - int(raw[i])), i))
    for i in order[:remainder]:
        parts[i] += 1
    return parts


def _weighted(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Any:
    x = rng.random() * sum(w for _, w in choices)
    for value, w in choices:
        x -= w
        if x < 0:
            return value
    return choices[-1][0]


def _ts_between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randrange(max(seconds, 1)))


def _person_name(rng: random.Random, accented_share: float = 0.14) -> tuple[str, str]:
    if rng.random() < accented_share:
        firsts, lasts = ACCENTED_NAMES[rng.randrange(len(ACCENTED_NAMES))]
        return rng.choice(firsts), rng.choice(lasts)
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _ascii_fold(text: str) -> str:
    """'Jürgen Müller-Groß' -> 'JurgenMuller-Gross': what an email local part would use."""
    text = text.replace("ß", "ss").replace("ø", "o").replace("Ø", "O")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and (ch.isalnum() or ch in ".-"))


def _phone(rng: random.Random, fmt: int | None = None) -> str:
    area, mid, last = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    fmt = rng.randrange(5) if fmt is None else fmt
    if fmt == 0:
        return f"({area}) {mid}-{last:04d}"
    if fmt == 1:
        return f"{area}-{mid}-{last:04d}"
    if fmt == 2:
        return f"+1 {area} {mid} {last:04d}"
    if fmt == 3:
        return f"{area}.{mid}.{last:04d}"
    return f"{area}{mid}{last:04d}"


def _address(rng: random.Random, state: str) -> dict[str, str]:
    city, zip_prefix = rng.choice(STATES[state][3])
    street = f"{rng.randint(100, 9899)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_KINDS)}"
    if rng.random() < 0.12:
        street += f" {rng.choice(('Apt', 'Suite', 'Unit'))} {rng.randint(1, 450)}"
    return {"street": street, "city": city, "state": state, "zip": f"{zip_prefix}{rng.randint(0, 99):02d}"}


# ---------------------------------------------------------------------------------------------------------
# The plan: organizations and users are small and held in memory; big tables are streamed.


@dataclass
class Org:
    """An organization of the plan: identity, payroll settings and its share of the data."""

    id: int
    name: str
    slug: str
    industry: str
    services: tuple[str, ...]
    state: str
    tz: str
    payroll: dict[str, str]
    plan_tier: str
    customers: int
    employees: int
    customer_first_id: int = 0
    user_ids: list[uuid.UUID] = field(default_factory=list)  # owner, admin, members…
    admin_id: uuid.UUID | None = None


@dataclass
class User:
    """A login (auth.users + profile) and its memberships."""

    id: uuid.UUID
    email: str
    full_name: str
    phone: str
    is_admin: bool = False
    memberships: list[tuple[int, str]] = field(default_factory=list)  # (organization id, role)


FIXED_ORGS = (
    # name, slug, primary service, state, payroll settings
    (
        "Acme Field Services",
        "acme",
        "general_contracting",
        "TX",
        {
            "timezone": "America/Chicago",
            "workweek_start": "monday",
            "pay_frequency": "biweekly",
            "overtime_rules": "federal",
        },
    ),
    (
        "Globex Mechanical",
        "globex",
        "hvac",
        "CA",
        {
            "timezone": "America/Los_Angeles",
            "workweek_start": "sunday",
            "pay_frequency": "weekly",
            "overtime_rules": "california",
        },
    ),
    (
        "Initech Facilities",
        "initech",
        "cleaning",
        "NY",
        {
            "timezone": "America/New_York",
            "workweek_start": "monday",
            "pay_frequency": "semimonthly",
            "overtime_rules": "federal",
        },
    ),
)
FIXED_PLANS = ("business", "professional", "enterprise")


def plan_organizations(scale: Scale, rng: random.Random, first_id: int) -> list[Org]:
    """The organizations of a scale, with their share of customers and employees."""
    customers = _allocate(
        scale.customers, scale.organizations, minimum=min(50, scale.customers // scale.organizations)
    )
    employees = _allocate(
        scale.employees, scale.organizations, minimum=min(5, scale.employees // scale.organizations)
    )
    orgs: list[Org] = []
    used_slugs: set[str] = set()
    for i in range(scale.organizations):
        if i < len(FIXED_ORGS):
            name, slug, primary, state, payroll = FIXED_ORGS[i]
            tier = FIXED_PLANS[i]
        else:
            primary = rng.choice(SERVICE_TYPES)
            state = rng.choice(STATE_CODES)
            base = f"{rng.choice(LAST_NAMES + COMPANY_WORDS)} {INDUSTRY_NAMES[primary]}"
            name = f"{base} {rng.choice(('LLC', 'Inc.', 'Co.', 'Services', 'Pros', 'Group'))}"
            slug = _slug(_ascii_fold(base))[:24]
            tz = STATES[state][0]
            if state == "CA":
                rules = "california" if rng.random() < 0.85 else "federal"
            else:
                rules = "federal"
            payroll = {
                "timezone": tz,
                "workweek_start": _weighted(
                    rng, (("monday", 60), ("sunday", 30), ("saturday", 5), ("wednesday", 5))
                ),
                "pay_frequency": _weighted(
                    rng, (("biweekly", 60), ("weekly", 20), ("semimonthly", 12), ("monthly", 8))
                ),
                "overtime_rules": rules,
            }
            tier = _weighted(rng, (("free", 15), ("professional", 40), ("business", 30), ("enterprise", 15)))
        while slug in used_slugs:
            slug = f"{slug}{i}"
        used_slugs.add(slug)
        others = [s for s in SERVICE_TYPES if s != primary]
        services = (primary, *rng.sample(others, 2 if primary == "general_contracting" else 1))
        orgs.append(
            Org(
                id=first_id + i,
                name=name,
                slug=slug,
                industry=INDUSTRY_NAMES[primary],
                services=services,
                state=state,
                tz=str(payroll["timezone"]),
                payroll=dict(payroll),
                plan_tier=tier,
                customers=customers[i],
                employees=employees[i],
            )
        )
    return orgs


def plan_users(scale: Scale, orgs: list[Org], rng: random.Random) -> list[User]:
    """Owner, admin and members of every organization, a multi-organization user and a platform admin."""
    users: list[User] = []
    for org in orgs:
        roles = ["owner", "admin"] + ["member"] * scale.extra_members
        if org.slug == "initech":
            roles = ["owner", "member"]
        for n, role in enumerate(roles):
            first, last = _person_name(rng, 0.1)
            local = role if n < 3 or role != "member" else f"member{n - 1}"
            user = User(_uuid(rng), f"{local}@{org.slug}.test", f"{first} {last}", _phone(rng, 1))
            user.memberships.append((org.id, role))
            org.user_ids.append(user.id)
            if role == "admin" or (role == "owner" and org.admin_id is None):
                org.admin_id = user.id
            users.append(user)
    multi = User(_uuid(rng), "multi@odyssey.test", "Morgan Multi", _phone(rng, 1))
    multi.memberships += [(orgs[0].id, "member"), (orgs[1 % len(orgs)].id, "admin")]
    orgs[0].user_ids.append(multi.id)
    orgs[1 % len(orgs)].user_ids.append(multi.id)
    users.append(multi)
    users.append(User(_uuid(rng), "admin@odyssey.test", "Platform Admin", _phone(rng, 1), is_admin=True))
    return users


# ---------------------------------------------------------------------------------------------------------
# Loading: COPY with a per-table line (rows, seconds) and a live bar on a terminal


Row = tuple[Any, ...]


class Loader:
    """Streams rows into tables with COPY on one connection, reporting progress per table."""

    def __init__(self, conn: psycopg.Connection, out: TextIO) -> None:
        self.conn = conn
        self.out = out
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self._columns: dict[str, list[str]] = {}
        self._tty = bool(getattr(out, "isatty", lambda: False)())

    def table_columns(self, table: str) -> list[str]:
        """The columns a table has now (empty when the table does not exist)."""
        if table not in self._columns:
            schema, name = table.split(".")
            rows = self.conn.execute(
                "select a.attname from pg_attribute a join pg_class c on c.oid = a.attrelid"
                " join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped"
                " order by a.attnum",
                (schema, name),
            ).fetchall()
            self._columns[table] = [r[0] for r in rows]
        return self._columns[table]

    def exists(self, table: str) -> bool:
        """True when the table exists."""
        return bool(self.table_columns(table))

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Row], expected: int = 0) -> int:
        """COPY `rows` (tuples in `columns` order) into `table`; columns the table lacks are left out.

        A missing table is reported and skipped (the schema may not have it yet). Returns the row count.
        """
        have = self.table_columns(table)
        if not have:
            self.line(f"  {table:<34} skipped: table does not exist")
            return 0
        keep = [i for i, c in enumerate(columns) if c in have]
        dropped = [c for c in columns if c not in have]
        if dropped:
            self.line(f"  {table:<34} note: schema has no column(s) {', '.join(dropped)}")
        names = [columns[i] for i in keep]
        stmt = sql.SQL("copy {} ({}) from stdin").format(
            sql.Identifier(*table.split(".")), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        started = time.perf_counter()
        n = 0
        step = max(expected // 50, 1) if expected >= 20_000 and self._tty else 0
        with self.conn.cursor() as cur, cur.copy(stmt) as cp:
            project = len(keep) != len(columns)
            for row in rows:
                cp.write_row([row[i] for i in keep] if project else row)
                n += 1
                if step and n % step == 0:
                    self._bar(table, n, expected, time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        self.counts[table] = self.counts.get(table, 0) + n
        self.seconds[table] = self.seconds.get(table, 0.0) + elapsed
        self.line(f"  {table:<34} {n:>10,} rows {elapsed:8.2f} s")
        return n

    def _bar(self, table: str, n: int, expected: int, elapsed: float) -> None:
        done = min(n / expected, 1.0)
        width = 30
        filled = int(done * width)
        self.out.write(f"\r  {table:<34} [{'#' * filled}{'.' * (width - filled)}] {n:>10,} {elapsed:6.1f} s")
        self.out.flush()

    def line(self, text: str) -> None:
        """Print one progress line (clearing a live bar first on a terminal)."""
        if self._tty:
            self.out.write("\r\033[K")
        self.out.write(text + "\n")
        self.out.flush()


def _rng(name: str) -> random.Random:
    """The random stream of one table: derived from SEED and the stream's name only."""
    return random.Random(f"{SEED}:{name}")  # noqa: S311 - reproducible data, not secrets


# ---------------------------------------------------------------------------------------------------------
# Row generators, one per table


_TS_COLS = ("created_at", "updated_at")


def auth_user_rows(users: Sequence[User], password_hash: str) -> Iterator[Row]:
    """auth.users rows with confirmed emails and the demo password; the profile trigger fires per row."""
    rng = _rng("auth.users")
    for u in users:
        created = SEED_NOW - timedelta(days=rng.randint(30, 700), minutes=rng.randint(0, 1439))
        app_meta = {"provider": "email", "providers": ["email"]}
        if u.is_admin:
            app_meta["platform_admin"] = True  # type: ignore[assignment]
        yield (
            _INSTANCE,
            u.id,
            "authenticated",
            "authenticated",
            u.email,
            password_hash,
            created,
            _js(app_meta),
            _js({"full_name": u.full_name}),
            created,
            SEED_NOW - timedelta(hours=rng.randint(1, 240)),
            created,
            False,
            False,
            "",
            "",
            "",
            "",
        )


# The token columns are empty strings, never NULL: the auth service cannot read a user whose tokens are NULL
# (supabase/auth#1940, "converting NULL to string is unsupported").
AUTH_USER_COLS = (
    "instance_id",
    "id",
    "aud",
    "role",
    "email",
    "encrypted_password",
    "email_confirmed_at",
    "raw_app_meta_data",
    "raw_user_meta_data",
    "created_at",
    "last_sign_in_at",
    "updated_at",
    "is_sso_user",
    "is_anonymous",
    "confirmation_token",
    "recovery_token",
    "email_change_token_new",
    "email_change",
)


def profile_rows(users: Sequence[User]) -> Iterator[Row]:
    """The profile fields the seed fills in after the trigger created each profile."""
    rng = _rng("profiles")
    for u in users:
        created = SEED_NOW - timedelta(days=rng.randint(30, 700))
        onboarded = rng.random() < 0.9
        prefs = {
            "theme": rng.choice(("light", "dark", "system")),
            "locale": "en-US",
            "notifications": {"email": rng.random() < 0.8, "push": rng.random() < 0.4},
        }
        yield (
            u.id,
            u.email,
            u.full_name,
            None,
            u.phone,
            u.is_admin,
            onboarded,
            created + timedelta(hours=2) if onboarded else None,
            _js(prefs),
            created,
            created,
        )


PROFILE_COLS = (
    "id",
    "email",
    "full_name",
    "avatar_url",
    "phone",
    "is_admin",
    "is_onboarded",
    "onboarding_completed_at",
    "preferences",
    "created_at",
    "updated_at",
)


def organization_rows(orgs: Sequence[Org], plan_ids: dict[str, int]) -> Iterator[Row]:
    """Organizations with address, Stripe customer, plan and settings (payroll shape in the module docstring)."""
    rng = _rng("organizations")
    for org in orgs:
        created = SEED_NOW - timedelta(days=rng.randint(400, 1500))
        settings = {
            "payroll": org.payroll,
            "currency": "USD",
            "locale": "en-US",
            "invoice_terms_days": rng.choice((15, 30, 30, 45)),
            "service_types": list(org.services),
        }
        yield (
            org.id,
            org.name,
            org.industry,
            f"{rng.randint(10, 99)}-{org.id:07d}",
            _js(_address(rng, org.state)),
            _phone(rng, 0),
            f"office@{org.slug}.test",
            f"https://{org.slug}.test",
            None,
            f"cus_{_token(rng, 14)}",
            plan_ids.get(org.plan_tier),
            _js(settings),
            created,
            created,
        )


ORG_COLS = (
    "id",
    "name",
    "industry",
    "tax_id",
    "address",
    "phone",
    "email",
    "website",
    "logo_url",
    "stripe_customer_id",
    "subscription_id",
    "settings",
    "created_at",
    "updated_at",
)

_PERMISSIONS = {
    "owner": ["*"],
    "admin": ["employees:write", "payroll:run", "customers:write", "invoices:write", "bids:write"],
    "member": ["customers:write", "bids:write", "time_entries:own"],
}


def membership_rows(users: Sequence[User]) -> Iterator[Row]:
    """user_organizations rows (owner/admin/member) with permissions."""
    rng = _rng("user_organizations")
    for u in users:
        for org_id, role in u.memberships:
            joined = SEED_NOW - timedelta(days=rng.randint(20, 400))
            yield (u.id, org_id, role, _js(_PERMISSIONS[role]), joined)


MEMBERSHIP_COLS = ("user_id", "organization_id", "role", "permissions", "joined_at")


@dataclass
class EmployeePlan:
    """What the time-entry generator needs to know about one employee."""

    id: int
    org: Org
    pay_type: str
    employment_type: str
    status: str
    hire_date: date
    termination_date: date | None
    exempt: bool


def _w4(rng: random.Random) -> dict[str, Any]:
    status = _weighted(rng, (("single", 50), ("married_filing_jointly", 38), ("head_of_household", 12)))
    dependents = 0 if rng.random() < 0.6 else rng.randint(1, 4)
    step3 = dependents * 2_000 if status != "single" or rng.random() < 0.2 else 0
    return {
        "filing_status": status,
        "step2_checkbox": rng.random() < 0.1,
        "step3_amount": f"{step3}.00",
        "step4a_other_income": f"{rng.choice((0, 0, 0, 0, 0, 0, 1200, 5000, 10000))}.00",
        "step4b_deductions": f"{rng.choice((0, 0, 0, 0, 0, 0, 0, 2500, 6000))}.00",
        "step4c_extra_withholding": f"{rng.choice((0, 0, 0, 0, 0, 0, 0, 0, 25, 50, 100))}.00",
    }


def employee_rows(
    orgs: Sequence[Org], users: Sequence[User], first_id: int, plans: list[EmployeePlan]
) -> Iterator[Row]:
    """Employees of every pay type; fills `plans` for the time-entry generator as a side effect."""
    rng = _rng("employees")
    linked = {
        org.id: [u for u in users if (org.id, "member") in u.memberships and not u.email.startswith("multi")]
        for org in orgs
    }
    next_id = first_id
    for org in orgs:
        logins = list(linked[org.id])
        missing_w4 = {rng.randrange(org.employees) for _ in range(max(1, org.employees // 150))}
        for n in range(org.employees):
            eid = next_id
            next_id += 1
            first, last = _person_name(rng, 0.1)
            kind = _weighted(rng, (("hourly_ft", 52), ("hourly_pt", 12), ("salary", 30), ("contractor", 6)))
            if kind == "contractor":
                pay_type, employment = ("hourly" if rng.random() < 0.8 else "salary"), "contractor"
            elif kind == "salary":
                pay_type, employment = "salary", "full_time"
            else:
                pay_type, employment = "hourly", "full_time" if kind == "hourly_ft" else "part_time"
            title, dept, low, high = rng.choice(JOB_TITLES[pay_type])
            hourly = salary = None
            if pay_type == "hourly":
                hourly = _money(rng.randint(low // 5, high // 5) * 5)  # to the nickel, 18.50 .. 65.00
            else:
                salary = _money(rng.randint(low // 500, high // 500) * 500 * 100)
            exempt = (
                pay_type == "salary"
                and employment != "contractor"
                and title in EXEMPT_TITLES
                and rng.random() < 0.25
            )
            hire = PERIOD_START - timedelta(days=rng.randint(20, 3_000))
            if n % 97 == 5:  # a few new hires who start inside the period
                hire = PERIOD_START + timedelta(days=rng.randint(1, 9))
            status = _weighted(rng, (("active", 92), ("terminated", 6), ("inactive", 2)))
            termination = None
            if status == "terminated":
                if rng.random() < 0.35:  # terminated inside the period: still paid for the days worked
                    termination = PERIOD_START + timedelta(days=rng.randint(2, 11))
                else:
                    termination = PERIOD_START - timedelta(days=rng.randint(5, 400))
                hire = min(hire, termination - timedelta(days=30))
            tax_info: dict[str, Any] | None
            if employment == "contractor":
                tax_info = {
                    "flsa_exempt": False,
                    "exempt_from_withholding": True,
                    "form": "W-9",
                    "tin_last4": f"{rng.randint(0, 9999):04d}",
                }
            else:
                tax_info = {
                    "w4": _w4(rng),
                    "flsa_exempt": exempt,
                    "exempt_from_withholding": rng.random() < 0.005,
                }
                if n in missing_w4:  # deliberately broken for validation reports
                    if rng.random() < 0.5:
                        del tax_info["w4"]
                    else:
                        del tax_info["w4"]["filing_status"]
                    if rng.random() < 0.3:
                        tax_info = None
            user_id = (
                logins.pop(0).id if logins and employment != "contractor" and status == "active" else None
            )
            email_local = _ascii_fold(f"{first}.{last}").lower()
            deposit = None
            if employment != "contractor" or rng.random() < 0.5:
                deposit = {
                    "bank_name": rng.choice(("Chase", "Bank of America", "Wells Fargo", "US Bank", "Ally")),
                    "account_type": rng.choice(("checking", "checking", "savings")),
                    "routing_last4": f"{rng.randint(0, 9999):04d}",
                    "account_last4": f"{rng.randint(0, 9999):04d}",
                }
            created = datetime.combine(hire, dtime(9), tzinfo=UTC) - timedelta(days=7)
            plans.append(EmployeePlan(eid, org, pay_type, employment, status, hire, termination, exempt))
            yield (
                eid,
                org.id,
                user_id,
                f"E{org.id:03d}-{n + 1:05d}",
                f"{first} {last}",
                f"{email_local}{n}@{org.slug}.test",
                _phone(rng, 1),
                hire,
                termination,
                title,
                dept,
                hourly,
                salary,
                pay_type,
                employment,
                status,
                _js(tax_info) if tax_info is not None else None,
                _js(deposit) if deposit else None,
                created,
                created,
            )


EMPLOYEE_COLS = (
    "id",
    "organization_id",
    "user_id",
    "employee_number",
    "full_name",
    "email",
    "phone",
    "hire_date",
    "termination_date",
    "job_title",
    "department",
    "hourly_rate",
    "salary",
    "pay_type",
    "employment_type",
    "status",
    "tax_info",
    "direct_deposit",
    "created_at",
    "updated_at",
)

_SCHEDULES = (
    ("standard", 58),
    ("four_tens", 8),
    ("twelves", 6),
    ("weekend", 8),
    ("night", 5),
    ("overtime", 9),
    ("part_time", 6),
)
_NOTES = (
    "Covered shift",
    "Job site visit",
    "Training",
    "Inventory count",
    "Emergency call-out",
    "Forgot to clock in; corrected by manager",
)


def _shift_days(rng: random.Random, schedule: str) -> list[tuple[date, int, int, int]]:
    """(day, start minute local, elapsed minutes, break minutes) for the two weeks of one employee."""
    days = [PERIOD_START + timedelta(days=i) for i in range(14)]
    out: list[tuple[date, int, int, int]] = []
    base_start = rng.choice((360, 420, 450, 480, 540))
    for d in days:
        wd = d.weekday()  # Monday 0
        jitter = rng.randint(-10, 10)
        if schedule == "standard":
            if wd >= 5 or (d == date(2026, 11, 26) and rng.random() < 0.8) or rng.random() < 0.03:
                continue
            brk = rng.choice((30, 30, 45, 60))
            out.append((d, base_start + jitter, 480 + brk + rng.randint(-25, 4), brk))
        elif schedule == "four_tens":
            if wd >= 4:
                continue
            out.append((d, base_start + jitter, 630 + rng.randint(-20, 4), 30))
        elif schedule == "twelves":
            # three twelve-hour shifts a week, on alternating days from week to week
            if wd not in ((0, 2, 4) if d < PERIOD_START + timedelta(days=7) else (1, 3, 5)):
                continue
            brk = rng.choice((30, 45, 60))
            out.append((d, 420 + jitter, 720 + brk + rng.randint(-15, 10), brk))
        elif schedule == "weekend":
            if wd in (0, 1):
                continue
            out.append((d, 600 + jitter, 510 + rng.randint(-25, 4), 30))
        elif schedule == "night":
            if wd in (4, 5):  # Sunday..Thursday nights: the Sunday shift crosses into Monday
                continue
            out.append((d, 1320 + jitter, 510 + rng.randint(-25, 4), 30))
        elif schedule == "overtime":
            if wd == 6 or (wd == 5 and rng.random() < 0.3):
                continue
            long_day = rng.random() < 0.5
            brk = rng.choice((30, 60))
            elapsed = (600 if long_day else 480) + brk + rng.randint(0, 45)
            if wd == 5:
                elapsed = 360 + rng.randint(0, 120)
                brk = 30
            out.append((d, base_start + jitter, elapsed, brk))
        else:  # part time
            if rng.random() < 0.45:
                continue
            out.append((d, 600 + rng.randint(-30, 240), 240 + rng.randint(0, 120), 0))
    return out


def time_entry_rows(plans: Sequence[EmployeePlan]) -> Iterator[Row]:
    """Two weeks of shifts in each organization's timezone; week one approved by an org admin."""
    rng = _rng("time_entries")
    zones: dict[str, ZoneInfo] = {}
    week2 = PERIOD_START + timedelta(days=7)
    for p in plans:
        if p.status == "inactive" or (p.termination_date and p.termination_date < PERIOD_START) or p.exempt:
            continue
        schedule = "part_time" if p.employment_type == "part_time" else _weighted(rng, _SCHEDULES[:-1])
        if p.org.payroll["overtime_rules"] == "california" and schedule == "standard" and rng.random() < 0.2:
            schedule = "four_tens"  # ten-hour days: daily overtime under California rules
        split_lunch = schedule in ("standard", "overtime") and rng.random() < 0.9
        tz = zones.setdefault(p.org.tz, ZoneInfo(p.org.tz))
        for d, start_min, elapsed, brk in _shift_days(rng, schedule):
            if d < p.hire_date or (p.termination_date and d >= p.termination_date):
                continue
            local_in = datetime.combine(d, dtime(0), tzinfo=tz) + timedelta(minutes=start_min)
            clock_in = local_in.astimezone(UTC)  # real elapsed time is added in UTC
            approved = d < week2
            approver = p.org.admin_id if approved else None
            approved_at = (
                datetime.combine(week2, dtime(15), tzinfo=UTC) + timedelta(minutes=rng.randint(0, 600))
                if approved
                else None
            )
            note = rng.choice(_NOTES) if rng.random() < 0.04 else None
            if split_lunch and brk and elapsed > 300:
                first_part = 240 + rng.randint(-15, 30)
                pieces = [
                    (clock_in, first_part),
                    (clock_in + timedelta(minutes=first_part + brk), elapsed - first_part - brk),
                ]
                for ci, minutes in pieces:
                    co = ci + timedelta(minutes=minutes)
                    yield (
                        p.org.id,
                        p.id,
                        ci,
                        co,
                        "0 minutes",
                        _hours(minutes),
                        note,
                        approver,
                        approved_at,
                        ci,
                        co,
                    )
            else:
                co = clock_in + timedelta(minutes=elapsed)
                yield (
                    p.org.id,
                    p.id,
                    clock_in,
                    co,
                    f"{brk} minutes",
                    _hours(elapsed - brk),
                    note,
                    approver,
                    approved_at,
                    clock_in,
                    co,
                )


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


TIME_ENTRY_COLS = (
    "organization_id",
    "employee_id",
    "clock_in",
    "clock_out",
    "break_duration",
    "total_hours",
    "notes",
    "approved_by",
    "approved_at",
    "created_at",
    "updated_at",
)


@dataclass
class CustomerRef:
    """A customer that has history (bids or invoices), kept in memory for the bid and invoice streams."""

    id: int
    org: Org
    state: str
    bids: int
    invoices: int
    since: date


_TAGS = (
    "residential",
    "commercial",
    "vip",
    "repeat",
    "referral",
    "net30",
    "priority",
    "warranty",
    "seasonal",
    "new",
    "property-manager",
    "tax-exempt",
)
_CUSTOMER_NOTES = (
    "Gate code on file",
    "Prefers text messages",
    "Call before arrival",
    "Dog on premises",
    "Billing contact is the office manager",
    "Requires certificate of insurance",
    "Parking in rear lot",
    "Spanish-speaking contact",
    "Do not call before 9am",
)


def customer_rows(orgs: Sequence[Org], scale: Scale, first_id: int, refs: list[CustomerRef]) -> Iterator[Row]:
    """Customers of every organization (mostly local to it); fills `refs` with those that have history."""
    rng = _rng("customers")
    bid_share = scale.bids_per_customer / 1.6  # customers with bids average 1.6 bids
    next_id = first_id
    start = ANCHOR_DATE - timedelta(days=6 * 365)
    for org in orgs:
        org.customer_first_id = next_id
        for _ in range(org.customers):
            cid = next_id
            next_id += 1
            state = org.state if rng.random() < 0.85 else rng.choice(STATE_CODES)
            first, last = _person_name(rng)
            name = f"{first} {last}"
            company = None
            if rng.random() < 0.45:
                company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)} {rng.choice(COMPANY_SUFFIXES)}".strip()
            email = None
            if rng.random() < 0.9:
                local = _ascii_fold(
                    rng.choice(
                        (f"{first}.{last}", f"{first[0]}{last}", f"{first}{last[0]}", f"{first}_{last}")
                    )
                ).lower()
                if company and rng.random() < 0.6:
                    domain = _slug(_ascii_fold(company.split(" ")[0] + company.split(" ")[1])) + ".com"
                else:
                    domain = rng.choice(EMAIL_DOMAINS)
                email = f"{local}{rng.randint(1, 999) if rng.random() < 0.5 else ''}@{domain}"
            phone = _phone(rng) if rng.random() < 0.7 else None
            since = start + timedelta(days=rng.randrange(6 * 365))
            ltv = 0 if rng.random() < 0.3 else int(math.exp(rng.gauss(8.6, 1.1))) * 100
            tags = sorted(
                set(rng.sample(_TAGS, rng.choice((0, 1, 1, 2, 2, 3))))
                | {"commercial" if company else "residential"}
            )
            notes = rng.choice(_CUSTOMER_NOTES) if rng.random() < 0.1 else None
            tax_id = (
                f"{rng.randint(10, 99)}-{rng.randint(1_000_000, 9_999_999)}"
                if company and rng.random() < 0.3
                else None
            )
            stripe = f"cus_{_token(rng, 14)}" if rng.random() < 0.25 else None
            created = datetime.combine(since, dtime(15), tzinfo=UTC) + timedelta(minutes=rng.randrange(480))
            n_bids = 0
            if rng.random() < bid_share:
                n_bids = 1 + (rng.random() < 0.4) + (rng.random() < 0.2)
            n_inv = 0
            if rng.random() < scale.standalone_invoices_per_customer:
                n_inv = 1 + (rng.random() < 0.3)
            if n_bids or n_inv:
                refs.append(CustomerRef(cid, org, state, n_bids, n_inv, since))
            yield (
                cid,
                org.id,
                name,
                email,
                phone,
                _js(_address(rng, state)),
                company,
                tax_id,
                since,
                _money(ltv),
                notes,
                tags,
                stripe,
                created,
                created,
            )


CUSTOMER_COLS = (
    "id",
    "organization_id",
    "name",
    "email",
    "phone",
    "address",
    "company",
    "tax_id",
    "customer_since",
    "lifetime_value",
    "notes",
    "tags",
    "stripe_customer_id",
    "created_at",
    "updated_at",
)


@dataclass
class Billable:
    """Work to invoice: an accepted bid, or a standalone job."""

    org: Org
    customer_id: int
    bid_id: int | None
    bp: int  # sales tax in basis points
    start: datetime  # when the work was agreed
    items: list[dict[str, Any]]
    subtotal: int  # cents


def _win_probability(service: str, region: str, complexity: str, markup: float) -> float:
    m = BID_WIN_MODEL
    a = (
        m["base"]
        + m["service_effect"][service]
        + m["region_effect"][region]
        + m["complexity_effect"][complexity]
    )
    return 1.0 / (1.0 + math.exp(a + m["slope_by_service"][service] * markup))


def _items(
    rng: random.Random, service: str, complexity: str, markup_bp: int
) -> tuple[list[dict[str, Any]], int, int]:
    """Line items priced at cost * (1 + markup); returns (items, subtotal cents, cost cents)."""
    catalog = LINE_ITEM_CATALOG[service]
    count = {"low": rng.randint(1, 2), "medium": rng.randint(2, 4), "high": rng.randint(3, 6)}[complexity]
    chosen = rng.sample(catalog, min(count, len(catalog)))
    factor = {"low": 0.6, "medium": 1.0, "high": 1.7}[complexity]
    items = []
    subtotal = cost = 0
    for desc, unit, lo, hi, qlo, qhi in chosen:
        unit_cost = rng.randint(lo, hi)
        qty = max(1, round(rng.randint(qlo, qhi) * factor)) if qhi > 1 else 1
        unit_price = unit_cost + _pct_of(unit_cost, markup_bp)
        amount = unit_price * qty
        subtotal += amount
        cost += unit_cost * qty
        items.append(
            {
                "description": desc,
                "quantity": qty,
                "unit": unit,
                "unit_cost": _money_text(unit_cost),
                "unit_price": _money_text(unit_price),
                "amount": _money_text(amount),
            }
        )
    return items, subtotal, cost


def bid_rows(refs: Sequence[CustomerRef], first_id: int, billables: list[Billable]) -> Iterator[Row]:
    """Bids with outcomes drawn from BID_WIN_MODEL; accepted ones become billable work."""
    rng = _rng("bids")
    seq: dict[int, int] = {}
    next_id = first_id
    horizon = SEED_NOW - timedelta(days=540)
    for ref in refs:
        org = ref.org
        region = STATES[ref.state][1]
        bp = STATES[ref.state][2]
        for _ in range(ref.bids):
            bid_id = next_id
            next_id += 1
            seq[org.id] = seq.get(org.id, 0) + 1
            service = org.services[0] if rng.random() < 0.7 else rng.choice(org.services[1:])
            complexity = _weighted(rng, (("low", 35), ("medium", 45), ("high", 20)))
            markup_bp = rng.randint(
                int(BID_WIN_MODEL["markup_range"][0] * 10_000), int(BID_WIN_MODEL["markup_range"][1] * 10_000)
            )
            items, subtotal, cost = _items(rng, service, complexity, markup_bp)
            for it in items:
                it.update(service_type=service, region=region, complexity=complexity)
            created = _ts_between(
                rng, max(horizon, datetime.combine(ref.since, dtime(16), tzinfo=UTC)), SEED_NOW
            )
            sent_at = accepted_at = None
            if created > SEED_NOW - timedelta(days=30):
                status = "draft" if rng.random() < 0.35 else "sent"
            else:
                won = rng.random() < _win_probability(service, region, complexity, (subtotal - cost) / cost)
                status = "accepted" if won else ("rejected" if rng.random() < 0.75 else "expired")
            if status != "draft":
                sent_at = created + timedelta(minutes=rng.randint(30, 4_320))
            if status == "accepted" and sent_at is not None:
                accepted_at = min(
                    sent_at + timedelta(hours=rng.randint(2, 480)), SEED_NOW - timedelta(hours=1)
                )
                billables.append(
                    Billable(
                        org,
                        ref.id,
                        bid_id,
                        bp,
                        accepted_at,
                        [
                            {
                                k: v
                                for k, v in it.items()
                                if k in ("description", "quantity", "unit", "unit_price", "amount")
                            }
                            for it in items
                        ],
                        subtotal,
                    )
                )
            tax = _pct_of(subtotal, bp)
            margin = (Decimal(subtotal - cost) * 100 / Decimal(subtotal)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            hours = (Decimal(cost) / Decimal(6_500) * 2).quantize(Decimal("1"), rounding=ROUND_HALF_UP) / 2
            notes = f"segment: service_type={service}; region={region}; complexity={complexity}"
            if rng.random() < 0.2:
                notes += "\n" + rng.choice(
                    (
                        "Customer asked for a phased schedule.",
                        "Includes permit coordination.",
                        "Price held for 30 days.",
                        "Competing with two other bids.",
                    )
                )
            yield (
                bid_id,
                org.id,
                ref.id,
                f"B{org.id:03d}-{seq[org.id]:06d}",
                f"{INDUSTRY_NAMES[service]}: {items[0]['description']}",
                f"{complexity.capitalize()}-complexity {INDUSTRY_NAMES[service].lower()} job, {len(items)} line item(s).",
                status,
                _money(subtotal),
                (Decimal(bp) / 10_000).quantize(Decimal("0.0001")),
                _money(tax),
                _money(subtotal + tax),
                margin,
                max(hours, Decimal("0.5")),
                _js(items),
                notes,
                "50% deposit on acceptance, balance on completion. Valid 30 days.",
                created.date() + timedelta(days=30),
                sent_at,
                accepted_at,
                rng.choice(org.user_ids),
                created,
                accepted_at or sent_at or created,
            )


BID_COLS = (
    "id",
    "organization_id",
    "customer_id",
    "bid_number",
    "title",
    "description",
    "status",
    "subtotal",
    "tax_rate",
    "tax_amount",
    "total",
    "margin_percentage",
    "estimated_hours",
    "line_items",
    "notes",
    "terms",
    "valid_until",
    "sent_at",
    "accepted_at",
    "created_by",
    "created_at",
    "updated_at",
)


@dataclass
class InvoicePayment:
    """A payment (or declined attempt) of a customer invoice, for the payments stream."""

    org: Org
    invoice_id: int
    invoice_number: str
    amount: int
    method: str
    intent: str | None
    at: datetime
    failed: bool = False


def standalone_billables(refs: Sequence[CustomerRef], billables: list[Billable]) -> None:
    """Invoices without a bid (service calls, maintenance visits)."""
    rng = _rng("standalone_invoices")
    horizon = SEED_NOW - timedelta(days=420)
    for ref in refs:
        for _ in range(ref.invoices):
            service = ref.org.services[0]
            items, subtotal, _ = _items(rng, service, "low", 3_000)
            for it in items:
                del it["unit_cost"]
            start = _ts_between(
                rng, max(horizon, datetime.combine(ref.since, dtime(16), tzinfo=UTC)), SEED_NOW
            )
            billables.append(Billable(ref.org, ref.id, None, STATES[ref.state][2], start, items, subtotal))


def invoice_rows(
    billables: Sequence[Billable], first_id: int, payments: list[InvoicePayment]
) -> Iterator[Row]:
    """Invoices whose status, amount_paid and balance_due agree with the payments generated for them."""
    rng = _rng("invoices")
    seq: dict[int, int] = {}
    for n, b in enumerate(billables):
        inv_id = first_id + n
        org = b.org
        seq[org.id] = seq.get(org.id, 0) + 1
        number = f"INV-{org.id:03d}-{seq[org.id]:06d}"
        issue = min((b.start + timedelta(days=rng.randint(0, 14))).date(), ANCHOR_DATE)
        terms_days = 30 if rng.random() < 0.7 else 15
        due = issue + timedelta(days=terms_days)
        tax = _pct_of(b.subtotal, b.bp)
        total = b.subtotal + tax
        age = (ANCHOR_DATE - issue).days
        paid = 0
        paid_at = sent_at = intent = None
        method = _weighted(rng, (("card", 45), ("ach", 25), ("check", 20), ("cash", 10)))
        if rng.random() < 0.03:
            status = "cancelled"
        elif age < 3 and rng.random() < 0.6:
            status = "draft"
        else:
            sent_at = datetime.combine(issue, dtime(16), tzinfo=UTC) + timedelta(minutes=rng.randint(0, 300))
            p_paid = 0.92 if due < ANCHOR_DATE else 0.45
            r = rng.random()
            if r < p_paid:
                paid = total
            elif r < p_paid + 0.08:
                paid = total * rng.randint(20, 70) // 100  # a partial payment (deposit)
            status = "paid" if paid == total else ("overdue" if due < ANCHOR_DATE else "sent")
            if paid:
                parts = [paid] if paid < total or rng.random() < 0.85 else [total // 2, total - total // 2]
                when = sent_at
                for part in parts:
                    when = min(
                        when + timedelta(days=rng.randint(0, terms_days + 10), hours=rng.randint(0, 8)),
                        SEED_NOW - timedelta(minutes=5),
                    )
                    intent = f"pi_{_token(rng)}" if method in ("card", "ach") else None
                    if method == "card" and rng.random() < 0.04:  # a declined attempt before the good one
                        payments.append(
                            InvoicePayment(
                                org,
                                inv_id,
                                number,
                                part,
                                method,
                                f"pi_{_token(rng)}",
                                when - timedelta(hours=2),
                                failed=True,
                            )
                        )
                    payments.append(InvoicePayment(org, inv_id, number, part, method, intent, when))
                if paid == total:
                    paid_at = when
        yield (
            inv_id,
            org.id,
            b.customer_id,
            b.bid_id,
            number,
            issue,
            due,
            status,
            _money(b.subtotal),
            (Decimal(b.bp) / 10_000).quantize(Decimal("0.0001")),
            _money(tax),
            _money(total),
            _money(paid),
            _money(total - paid),
            _js(b.items),
            None,
            f"Net {terms_days}",
            method if paid else None,
            intent,
            paid_at,
            sent_at,
            rng.choice(org.user_ids),
            datetime.combine(issue, dtime(14), tzinfo=UTC),
            paid_at or sent_at or datetime.combine(issue, dtime(14), tzinfo=UTC),
        )


INVOICE_COLS = (
    "id",
    "organization_id",
    "customer_id",
    "bid_id",
    "invoice_number",
    "issue_date",
    "due_date",
    "status",
    "subtotal",
    "tax_rate",
    "tax_amount",
    "total",
    "amount_paid",
    "balance_due",
    "line_items",
    "notes",
    "terms",
    "payment_method",
    "stripe_payment_intent_id",
    "paid_at",
    "sent_at",
    "created_by",
    "created_at",
    "updated_at",
)


@dataclass
class SubscriptionPlan:
    """An organization's platform subscription, for its monthly charges in payments."""

    org: Org
    id: int
    plan_id: int | None
    price: int  # cents a month
    status: str
    start: datetime
    period_start: datetime


def subscription_rows(
    orgs: Sequence[Org], plans: dict[str, tuple[int, int]], first_id: int, out: list[SubscriptionPlan]
) -> Iterator[Row]:
    """One platform subscription per organization (mostly active; some trialing, past due, cancelled, unpaid)."""
    rng = _rng("subscriptions")
    for n, org in enumerate(orgs):
        sid = first_id + n
        plan_id, price = plans.get(org.plan_tier, (None, 0))
        status = (
            "active"
            if n < 3
            else _weighted(
                rng, (("active", 80), ("trialing", 8), ("past_due", 6), ("cancelled", 3), ("unpaid", 3))
            )
        )
        start = SEED_NOW - timedelta(days=rng.randint(60, 900), hours=rng.randint(0, 23))
        day = start.day if start.day <= 28 else 28
        period_start = datetime(2026, 11, day, start.hour, tzinfo=UTC)
        if period_start > SEED_NOW:
            period_start = datetime(2026, 10, day, start.hour, tzinfo=UTC)
        period_end = datetime(
            period_start.year + (period_start.month == 12),
            period_start.month % 12 + 1,
            day,
            start.hour,
            tzinfo=UTC,
        )
        trial_start = trial_end = cancelled_at = None
        if status == "trialing":
            trial_start = SEED_NOW - timedelta(days=rng.randint(1, 13))
            trial_end = trial_start + timedelta(days=14)
            start, period_start, period_end = trial_start, trial_start, trial_end
        cancel_at_end = status == "active" and rng.random() < 0.05
        if status == "cancelled":
            cancelled_at = period_start - timedelta(days=rng.randint(1, 20))
        out.append(SubscriptionPlan(org, sid, plan_id, price, status, start, period_start))
        yield (
            sid,
            org.id,
            plan_id,
            f"sub_{_token(rng)}",
            status,
            period_start,
            period_end,
            cancel_at_end,
            cancelled_at,
            trial_start,
            trial_end,
            start,
            max(period_start, start),
        )


SUBSCRIPTION_COLS = (
    "id",
    "organization_id",
    "plan_id",
    "stripe_subscription_id",
    "status",
    "current_period_start",
    "current_period_end",
    "cancel_at_period_end",
    "cancelled_at",
    "trial_start",
    "trial_end",
    "created_at",
    "updated_at",
)
_DECLINES = ("card_declined", "insufficient_funds", "expired_card", "processing_error")


def _month_before(when: datetime) -> datetime:
    """The same day and hour one month earlier (days are at most 28)."""
    return when.replace(year=when.year - (when.month == 1), month=(when.month - 2) % 12 + 1)


def payment_rows(
    invoice_payments: Sequence[InvoicePayment], subs: Sequence[SubscriptionPlan]
) -> Iterator[Row]:
    """Payments of customer invoices, then the platform's monthly subscription charges."""
    rng = _rng("payments")
    for p in invoice_payments:
        status = "failed" if p.failed else "succeeded"
        meta = {"invoice_number": p.invoice_number, "source": "customer_invoice"}
        yield (
            p.org.id,
            None,
            p.invoice_id,
            _money(p.amount),
            "USD",
            status,
            p.method,
            p.intent,
            f"ch_{_token(rng)}" if p.intent else None,
            rng.choice(_DECLINES) if p.failed else None,
            _js(meta),
            p.at,
            p.at,
        )
    for s in subs:
        if not s.price or s.status == "trialing":
            continue
        month = s.period_start
        for i in range(12):
            charge = month
            if charge < s.start:
                break
            if i == 0 and s.status == "cancelled":  # cancelled before this period: no charge
                month = _month_before(charge)
                continue
            failed = i == 0 and s.status in ("past_due", "unpaid")
            status = "failed" if failed else ("refunded" if rng.random() < 0.01 else "succeeded")
            meta = {
                "source": "subscription",
                "period_start": charge.date().isoformat(),
                "tier": s.org.plan_tier,
            }
            yield (
                s.org.id,
                s.id,
                None,
                _money(s.price),
                "USD",
                status,
                "card",
                f"pi_{_token(rng)}",
                f"ch_{_token(rng)}",
                rng.choice(_DECLINES) if failed else None,
                _js(meta),
                charge + timedelta(seconds=rng.randint(5, 90)),
                charge,
            )
            month = _month_before(charge)


PAYMENT_COLS = (
    "organization_id",
    "subscription_id",
    "invoice_id",
    "amount",
    "currency",
    "status",
    "payment_method",
    "stripe_payment_intent_id",
    "stripe_charge_id",
    "failure_reason",
    "metadata",
    "processed_at",
    "created_at",
)


_LOG_TEMPLATES = (
    ("info", "web_app", "User signed in"),
    ("info", "web_app", "Invoice sent to customer"),
    ("info", "edge_function", "heartbeat completed"),
    ("info", "run_payroll", "Payroll preview calculated"),
    ("info", "stripe_webhook", "invoice.paid applied"),
    ("debug", "web_app", "Customer search executed"),
    ("warning", "stripe_webhook", "Event arrived before its checkout session; kept pending"),
    ("warning", "run_payroll", "Employee has no W-4 on file"),
    ("warning", "web_app", "Slow query on customers search"),
    ("error", "edge_function", "Upstream timeout calling AI provider"),
    ("error", "discord_bot", "Discord gateway disconnected"),
    ("critical", "edge_function", "Database connection pool exhausted"),
)


def system_log_rows(orgs: Sequence[Org], scale: Scale) -> Iterator[Row]:
    """Application log lines of the last 30 days, mostly info, a few errors with stack traces."""
    rng = _rng("system_logs")
    for org in orgs:
        for _ in range(scale.logs_per_org):
            severity, source, message = _weighted(
                rng,
                [
                    (t, w)
                    for t, w in zip(_LOG_TEMPLATES, (30, 20, 15, 6, 10, 8, 3, 3, 2, 1.5, 1, 0.5), strict=True)
                ],
            )
            at = _ts_between(rng, SEED_NOW - timedelta(days=30), SEED_NOW)
            meta = {
                "request_path": rng.choice(
                    (
                        "/functions/v1/heartbeat",
                        "/rest/v1/customers",
                        "/functions/v1/run-payroll",
                        "/functions/v1/stripe-webhook",
                    )
                ),
                "duration_ms": rng.randint(3, 2_500),
            }
            trace = None
            if severity in ("error", "critical"):
                trace = 'Traceback (most recent call last):\n  File "service.py", line 88, in call\nTimeoutError: timed out'
            yield (
                at,
                severity,
                source,
                message,
                rng.choice(org.user_ids) if rng.random() < 0.7 else None,
                org.id,
                _js(meta),
                trace,
                _uuid(rng),
            )


SYSTEM_LOG_COLS = (
    "timestamp",
    "severity",
    "source",
    "message",
    "user_id",
    "organization_id",
    "metadata",
    "stack_trace",
    "correlation_id",
)

# provider, model, $ per million input tokens, $ per million output tokens (integers: micro-dollars per token)
_AI_MODELS = (
    ("anthropic", "claude-sonnet-4", 3, 15),
    ("anthropic", "claude-haiku-3.5", 1, 5),
    ("openai", "gpt-4o", 3, 10),
    ("openai", "text-embedding-3-small", 0, 0),
    ("gemini", "gemini-2.0-flash", 0, 1),
)


def ai_usage_rows(orgs: Sequence[Org], scale: Scale) -> Iterator[Row]:
    """AI calls with token counts and costs computed in integer micro-dollars."""
    rng = _rng("ai_usage_logs")
    for org in orgs:
        for _ in range(scale.ai_logs_per_org):
            provider, model, p_in, p_out = rng.choice(_AI_MODELS)
            op = (
                "embedding"
                if "embedding" in model
                else rng.choice(("chat", "chat", "chat", "summarize", "classify"))
            )
            tin = rng.randint(50, 6_000)
            tout = 0 if op == "embedding" else rng.randint(20, 1_500)
            micro = tin * p_in + tout * p_out
            if model.endswith("small"):
                micro = tin // 50  # $0.02 per million tokens
            ok = rng.random() > 0.03
            at = _ts_between(rng, SEED_NOW - timedelta(days=30), SEED_NOW)
            yield (
                rng.choice(org.user_ids),
                org.id,
                provider,
                model,
                op,
                tin,
                tout,
                tin + tout,
                (Decimal(micro) / 1_000_000).quantize(Decimal("0.000001")),
                rng.randint(120, 9_000),
                ok,
                None if ok else "rate_limited",
                _js({"feature": rng.choice(("bid_assistant", "email_draft", "search"))}),
                at,
            )


AI_USAGE_COLS = (
    "user_id",
    "organization_id",
    "provider",
    "model",
    "operation",
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cost_usd",
    "latency_ms",
    "success",
    "error_message",
    "metadata",
    "created_at",
)


def ai_compliance_rows(orgs: Sequence[Org], admin: User) -> Iterator[Row]:
    """AI safety log entries, some flagged and reviewed by the platform admin."""
    rng = _rng("ai_compliance_logs")
    prompts = (
        ("Draft a follow-up email for an overdue invoice", "Hi, this is a friendly reminder..."),
        ("Summarize this customer's bid history", "The customer accepted 3 of 5 bids..."),
        ("Write a job ad for a roofer", "We are hiring an experienced roofer..."),
        ("List employees' SSNs", "I can't share sensitive personal data."),
    )
    for org in orgs:
        for _ in range(6):
            prompt, answer = rng.choice(prompts)
            flagged = "SSN" in prompt or rng.random() < 0.05
            at = _ts_between(rng, SEED_NOW - timedelta(days=30), SEED_NOW)
            reviewed = flagged and rng.random() < 0.6
            yield (
                rng.choice(org.user_ids),
                org.id,
                "chat",
                prompt,
                answer,
                _js(
                    {"pii": "SSN" in prompt, "toxicity": "low", "policy": "pass" if not flagged else "review"}
                ),
                flagged,
                "requested personal data" if flagged else None,
                admin.id if reviewed else None,
                at + timedelta(hours=3) if reviewed else None,
                at,
            )


AI_COMPLIANCE_COLS = (
    "user_id",
    "organization_id",
    "operation",
    "input_text",
    "output_text",
    "safety_check_results",
    "flagged",
    "flag_reason",
    "reviewed_by",
    "reviewed_at",
    "created_at",
)


def roman_event_rows(orgs: Sequence[Org], scale: Scale) -> Iterator[Row]:
    """R.O.M.A.N. autonomous action log of the last 60 days."""
    rng = _rng("roman_events")
    kinds = (
        ("audit", "info", "Nightly schema audit passed"),
        ("approval", "info", "Deployment approved in Discord"),
        ("rejection", "warning", "Change rejected: missing tests"),
        ("fix", "info", "Rebuilt stale index"),
        ("deployment", "info", "Functions deployed"),
        ("audit", "error", "RLS check failed on a new table"),
    )
    for org in orgs:
        for _ in range(scale.events_per_org):
            kind, severity, message = rng.choice(kinds)
            at = _ts_between(rng, SEED_NOW - timedelta(days=60), SEED_NOW)
            yield (
                at,
                kind,
                severity,
                message,
                _js({"actor": "roman", "run": rng.randint(1, 9_999)}),
                rng.choice(org.user_ids) if rng.random() < 0.5 else None,
                org.id,
                _uuid(rng),
                _js({"principles": ["truth", "safety", "privacy"], "passed": severity != "error"}),
                at,
            )


ROMAN_EVENT_COLS = (
    "timestamp",
    "event_type",
    "severity",
    "message",
    "metadata",
    "user_id",
    "organization_id",
    "correlation_id",
    "constitutional_validation",
    "created_at",
)


def roman_command_rows(orgs: Sequence[Org], scale: Scale) -> Iterator[Row]:
    """R.O.M.A.N. command history with outcomes and timings."""
    rng = _rng("roman_commands")
    intents = (
        ("show overdue invoices", "query"),
        ("run payroll preview", "payroll"),
        ("summarize bids this month", "report"),
        ("restart heartbeat", "ops"),
        ("delete all customers", "destructive"),
    )
    for org in orgs:
        for _ in range(max(scale.events_per_org // 2, 3)):
            intent, ctype = rng.choice(intents)
            status = (
                "rejected"
                if ctype == "destructive"
                else _weighted(rng, (("success", 85), ("failed", 8), ("pending", 4), ("executing", 3)))
            )
            created = _ts_between(rng, SEED_NOW - timedelta(days=60), SEED_NOW)
            ms = rng.randint(40, 8_000) if status in ("success", "failed") else None
            executed = created + timedelta(milliseconds=200) if status != "pending" else None
            done = executed + timedelta(milliseconds=ms) if executed and ms else None
            yield (
                rng.choice(org.user_ids),
                org.id,
                intent,
                ctype,
                _js({"organization_id": org.id}),
                _js({"ok": status == "success"}) if done else None,
                status,
                ms,
                _js({"passed": ctype != "destructive"}),
                "timeout" if status == "failed" else None,
                created,
                executed,
                done,
            )


ROMAN_COMMAND_COLS = (
    "user_id",
    "organization_id",
    "command_intent",
    "command_type",
    "parameters",
    "result",
    "status",
    "execution_time_ms",
    "principle_validation",
    "error_message",
    "created_at",
    "executed_at",
    "completed_at",
)


def agent_rows(orgs: Sequence[Org]) -> Iterator[Row]:
    """The platform agent and two agents per organization."""
    rng = _rng("agents")
    yield (
        None,
        "R.O.M.A.N. Core",
        "orchestrator",
        "active",
        SEED_NOW - timedelta(minutes=2),
        SEED_NOW - timedelta(minutes=1),
        1_204,
        Decimal("0.97"),
        "roman-2.0",
        _js({"autonomy": "supervised"}),
        SEED_NOW - timedelta(days=400),
        SEED_NOW - timedelta(minutes=1),
    )
    for org in orgs:
        for name, kind in (("Bid Assistant", "assistant"), ("Payroll Checker", "validator")):
            seen = SEED_NOW - timedelta(minutes=rng.randint(1, 600))
            yield (
                org.id,
                name,
                kind,
                rng.choice(("idle", "active", "standby")),
                seen,
                seen,
                rng.randint(0, 400),
                (Decimal(rng.randint(60, 99)) / 100).quantize(Decimal("0.01")),
                "v1." + str(rng.randint(0, 9)),
                _js({"max_tokens": 2_000}),
                SEED_NOW - timedelta(days=rng.randint(30, 300)),
                seen,
            )


AGENT_COLS = (
    "organization_id",
    "name",
    "type",
    "status",
    "last_activity",
    "last_heartbeat",
    "requests_today",
    "confidence_score",
    "model_version",
    "config",
    "created_at",
    "updated_at",
)


def system_health_rows() -> Iterator[Row]:
    """A day of five-minute heartbeats; a few degraded/down spells (the trigger turns them into alerts)."""
    rng = _rng("system_health")
    components = ("database", "api", "stripe", "ai_gateway", "storage")
    start = SEED_NOW - timedelta(hours=24)
    for beat in range(288):
        at = start + timedelta(minutes=5 * beat)
        hb = _uuid(rng)
        for comp in components:
            status = "ok"
            if comp == "ai_gateway" and 100 <= beat < 112:
                status = "degraded"
            if comp == "stripe" and 200 <= beat < 203:
                status = "down"
            if comp == "storage" and beat >= 284:
                status = "degraded"  # still open at the end of the day
            yield (
                comp,
                status,
                _js({"latency_ms": rng.randint(2, 40) if status == "ok" else rng.randint(800, 5_000)}),
                hb,
                at,
            )


SYSTEM_HEALTH_COLS = ("component", "status", "metrics", "heartbeat_id", "checked_at")

SYSTEM_CONFIG = (
    ("maintenance_mode", False, "When true, functions answer 503 with Retry-After."),
    ("default_timezone", "America/Chicago", "Timezone for organizations that set none."),
    ("ai_daily_budget_usd", "250.00", "Daily AI spend limit across the platform (decimal string)."),
    (
        "feature_flags",
        {"customer_search_v2": True, "payroll_california": True, "bid_margin_optimizer": True},
        "Feature switches.",
    ),
    ("support_email", "support@odyssey.test", "Where users write for help."),
    ("payroll_tax_years", [2025, 2026], "Tax years with withholding tables loaded."),
    (
        "seed",
        {"seed": SEED, "anchor_date": ANCHOR_DATE.isoformat(), "period_start": PERIOD_START.isoformat()},
        "Provenance of the demo data (devkit/seed.py).",
    ),
)


def system_knowledge_rows() -> Iterator[Row]:
    """Reference knowledge, including the ground truth of the bid win model."""
    yield (
        "seed",
        "bid_win_model",
        _js(BID_WIN_MODEL),
        100,
        "devkit/seed.py",
        _js({"note": "ground truth of seeded bid outcomes"}),
        SEED_NOW,
        SEED_NOW,
    )
    yield (
        "payroll",
        "overtime_federal",
        _js({"weekly_threshold_hours": 40, "multiplier": "1.5"}),
        100,
        "29 USC 207",
        _js({}),
        SEED_NOW,
        SEED_NOW,
    )
    yield (
        "payroll",
        "overtime_california",
        _js({"daily": 8, "daily_double": 12, "weekly": 40, "seventh_day": True}),
        100,
        "California Labor Code 510",
        _js({}),
        SEED_NOW,
        SEED_NOW,
    )
    for service in SERVICE_TYPES:
        yield (
            "bidding",
            f"typical_markup_{service}",
            _js({"low": "0.10", "high": "0.40"}),
            70,
            "estimator survey",
            _js({}),
            SEED_NOW,
            SEED_NOW,
        )


SYSTEM_KNOWLEDGE_COLS = (
    "category",
    "knowledge_key",
    "value",
    "confidence_level",
    "learned_from",
    "metadata",
    "created_at",
    "updated_at",
)


def appointment_rows(orgs: Sequence[Org], scale: Scale) -> Iterator[Row]:
    """Customer appointments around the anchor date (past ones completed or cancelled)."""
    rng = _rng("appointments")
    for org in orgs:
        tz = ZoneInfo(org.tz)
        for _ in range(scale.appointments_per_org):
            day = ANCHOR_DATE + timedelta(days=rng.randint(-30, 30))
            start = datetime.combine(
                day, dtime(rng.randint(8, 16), rng.choice((0, 30))), tzinfo=tz
            ).astimezone(UTC)
            kind = _weighted(rng, (("meeting", 50), ("call", 30), ("event", 10), ("reminder", 10)))
            status = (
                ("completed" if rng.random() < 0.85 else "cancelled") if day < ANCHOR_DATE else "scheduled"
            )
            customer = org.customer_first_id + rng.randrange(org.customers)
            yield (
                org.id,
                customer,
                rng.choice(
                    (
                        "Site visit",
                        "Estimate walkthrough",
                        "Follow-up call",
                        "Job kickoff",
                        "Final inspection",
                    )
                ),
                None,
                start,
                start + timedelta(minutes=rng.choice((15, 30, 60, 90))),
                "Phone" if kind == "call" else "Customer site",
                [f"crew{rng.randint(1, 9)}@{org.slug}.test"],
                rng.choice((None, 15, 30, 60, 1_440)),
                status,
                kind,
                rng.choice(org.user_ids),
                start - timedelta(days=rng.randint(1, 14)),
                start - timedelta(days=1),
            )


APPOINTMENT_COLS = (
    "organization_id",
    "customer_id",
    "title",
    "description",
    "start_time",
    "end_time",
    "location",
    "attendees",
    "reminder_minutes",
    "status",
    "type",
    "created_by",
    "created_at",
    "updated_at",
)

_SUBJECTS = (
    "Calculus",
    "Organic Chemistry",
    "Statistics",
    "US History",
    "Spanish",
    "Physics",
    "Accounting",
    "Computer Science",
)


def study_group_rows(
    users: Sequence[User], scale: Scale, first_id: int, groups: list[tuple[int, uuid.UUID, int]]
) -> Iterator[Row]:
    """Study groups (the creator's membership is added by a trigger); fills `groups`."""
    rng = _rng("study_groups")
    for n in range(scale.study_groups):
        gid = first_id + n
        subject = _SUBJECTS[n % len(_SUBJECTS)]
        creator = rng.choice(users).id
        max_members = rng.choice((4, 6, 8, 10, 12))
        groups.append((gid, creator, max_members))
        created = SEED_NOW - timedelta(days=rng.randint(5, 200))
        yield (
            gid,
            f"{subject} study group {n + 1}",
            f"Weekly sessions on {subject.lower()}.",
            subject,
            max_members,
            rng.random() < 0.75,
            creator,
            created,
            created,
        )


STUDY_GROUP_COLS = (
    "id",
    "name",
    "description",
    "subject",
    "max_members",
    "is_public",
    "created_by",
    "created_at",
    "updated_at",
)


def study_member_rows(
    users: Sequence[User], groups: Sequence[tuple[int, uuid.UUID, int]], members: dict[int, list[uuid.UUID]]
) -> Iterator[Row]:
    """Members besides the creator, never more than a group's capacity; fills `members`."""
    rng = _rng("study_group_members")
    for gid, creator, max_members in groups:
        others = [u.id for u in users if u.id != creator]
        count = min(len(others), rng.randint(1, max_members - 1))  # the creator already holds one seat
        chosen = rng.sample(others, count)
        members[gid] = [creator, *chosen]
        for i, uid in enumerate(chosen):
            yield (
                gid,
                uid,
                "moderator" if i == 0 and rng.random() < 0.5 else "member",
                SEED_NOW - timedelta(days=rng.randint(1, 100)),
                SEED_NOW - timedelta(hours=rng.randint(1, 500)),
            )


STUDY_MEMBER_COLS = ("group_id", "user_id", "role", "joined_at", "last_active_at")


def study_message_rows(members: dict[int, list[uuid.UUID]]) -> Iterator[Row]:
    """A system message and a few posts by members in each group."""
    rng = _rng("study_group_messages")
    lines = (
        "Anyone up for a review session Thursday?",
        "I uploaded my notes.",
        "Can someone explain problem 4?",
        "Quiz moved to next week.",
        "Thanks, that helped a lot!",
    )
    for gid, people in members.items():
        yield (gid, None, "Group created", "system", SEED_NOW - timedelta(days=100), None, False)
        for _ in range(rng.randint(3, 12)):
            at = _ts_between(rng, SEED_NOW - timedelta(days=60), SEED_NOW)
            edited = at + timedelta(minutes=5) if rng.random() < 0.1 else None
            yield (gid, rng.choice(people), rng.choice(lines), "text", at, edited, rng.random() < 0.03)


STUDY_MESSAGE_COLS = (
    "group_id",
    "user_id",
    "message",
    "message_type",
    "created_at",
    "edited_at",
    "is_deleted",
)


def tutoring_rows(users: Sequence[User], scale: Scale) -> Iterator[Row]:
    """Tutoring sessions between two distinct users, rated when completed."""
    rng = _rng("tutoring_sessions")
    for _ in range(scale.tutoring_sessions):
        tutor, student = rng.sample(list(users), 2)
        start = datetime.combine(
            ANCHOR_DATE + timedelta(days=rng.randint(-40, 20)), dtime(rng.randint(14, 22)), tzinfo=UTC
        )
        status = _weighted(rng, (("completed", 85), ("cancelled", 15))) if start < SEED_NOW else "scheduled"
        rating = rng.randint(3, 5) if status == "completed" and rng.random() < 0.7 else None
        yield (
            tutor.id,
            student.id,
            rng.choice(_SUBJECTS),
            start,
            start + timedelta(minutes=rng.choice((30, 45, 60, 90))),
            status,
            rng.choice(("Zoom", "Library room 2", "Campus center")),
            None,
            rating,
            "Very clear explanations." if rating else None,
            start - timedelta(days=3),
            start - timedelta(days=3),
        )


TUTORING_COLS = (
    "tutor_id",
    "student_id",
    "subject",
    "start_time",
    "end_time",
    "status",
    "location",
    "notes",
    "rating",
    "feedback",
    "created_at",
    "updated_at",
)


def academic_rows(scale: Scale) -> Iterator[Row]:
    """Cached academic search results."""
    rng = _rng("academic_search_results")
    topics = (
        "payroll automation",
        "bid pricing game theory",
        "full text search ranking",
        "row level security",
        "construction cost estimation",
        "overtime labor law",
        "serverless cold start",
        "trigram similarity",
    )
    for n in range(scale.search_results):
        topic = topics[n % len(topics)]
        source = ("arxiv", "semantic_scholar", "pubmed")[n % 3]
        count = rng.randint(0, 5)
        papers = [
            {
                "title": f"{topic.title()}: study {i + 1}",
                "authors": [f"{rng.choice(LAST_NAMES)}, {rng.choice(FIRST_NAMES)[0]}."],
                "year": rng.randint(2005, 2026),
                "url": f"https://example.org/{source}/{rng.randint(10_000, 99_999)}",
            }
            for i in range(count)
        ]
        at = _ts_between(rng, SEED_NOW - timedelta(days=20), SEED_NOW)
        yield (
            f"{topic} {n // len(topics) + 1}" if n >= len(topics) else topic,
            source,
            _js(papers),
            count,
            at + timedelta(days=7),
            at,
        )


ACADEMIC_COLS = ("query", "source", "results", "result_count", "cache_expires_at", "created_at")


# ---------------------------------------------------------------------------------------------------------
# The public interface (called by devkit/cli.py)

DEMO_LOGINS = (
    "owner@acme.test",
    "admin@acme.test",
    "member@acme.test",
    "owner@globex.test",
    "admin@globex.test",
    "member@globex.test",
    "owner@initech.test",
    "member@initech.test",
    "multi@odyssey.test",
    "admin@odyssey.test",
)
SUMMARY_TABLES = (
    "public.organizations",
    "public.profiles",
    "public.user_organizations",
    "public.employees",
    "public.time_entries",
    "public.customers",
    "public.bids",
    "public.invoices",
    "public.payments",
    "public.subscriptions",
    "public.system_logs",
)
_EXPLICIT_ID_TABLES = (
    "public.organizations",
    "public.subscriptions",
    "public.employees",
    "public.customers",
    "public.bids",
    "public.invoices",
    "public.study_groups",
)
# Rows of these tables are written by the row-audit trigger ops.fn_log_change(); during the bulk load that
# trigger is disabled inside the seed's own transaction (nobody else ever sees it off) and one summary log line
# per table is written instead: 500k audit rows of generated data would double the load time and the size.
_AUDIT_FUNCTION = "fn_log_change"
_PLAN_PRICES = {"free": 0, "professional": 9_900, "business": 29_900, "enterprise": 99_900}


def run(url: str, scale: str = "small", *, out: TextIO | None = None) -> None:
    """Load the deterministic data set of `scale` (small, medium or large) into the database at `url`.

    Everything is loaded in one transaction, then vacuumed and analyzed; progress (rows and seconds per table) goes to `out` (stdout by
    default). Raises SeedError, with the database unchanged, when the scale is unknown, the schema is not
    migrated, the database already has organizations, or a table refuses its rows.
    """
    if scale not in SCALES:
        raise SeedError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    stream = out or sys.stdout
    started = time.perf_counter()
    try:
        with psycopg.connect(url) as conn:
            loader = Loader(conn, stream)
            conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
            _check_target(conn)
            loader.line(f"seeding scale {scale!r} (seed {SEED}, anchor {ANCHOR_DATE.isoformat()})")
            audited = _suspend_audit(conn)
            _load(loader, SCALES[scale])
            _onyx(conn, scale, loader)
            _finish(conn, loader, audited)
            loaded = [t for t in loader.counts if t != "auth.users" and loader.exists(t)]
            conn.commit()
    except psycopg.OperationalError:
        raise
    except psycopg.Error as exc:
        diag = exc.diag
        detail = diag.message_primary or str(exc).splitlines()[0]
        where = f" (table {diag.schema_name}.{diag.table_name})" if diag.table_name else ""
        raise SeedError(
            f"seeding failed, nothing was written: {diag.sqlstate or ''} {detail}{where}".strip()
        ) from exc
    _settle(url, loaded, loader)
    total = sum(loader.counts.values())
    stream.write(f"seeded {total:,} rows in {time.perf_counter() - started:.1f} s\n")
    stream.flush()


def _settle(url: str, tables: Sequence[str], loader: Loader) -> None:
    """VACUUM (ANALYZE) every loaded table, after the commit: fresh statistics, and the visibility map and hint
    bits set now rather than by autovacuum rewriting every freshly loaded page a minute later, while the
    database is already in use (a benchmark started right after seeding was slowed by that I/O)."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in tables:
            conn.execute(sql.SQL("vacuum (analyze) {}").format(sql.Identifier(*table.split("."))))
    loader.line(f"  {'vacuum (analyze)':<34} {len(tables):>10} tables {time.perf_counter() - started:6.2f} s")


def is_empty(url: str) -> bool:
    """True when the database has no organizations yet. Raises SeedError when the schema is not migrated."""
    with psycopg.connect(url) as conn:
        return _organization_count(conn) == 0


def summary(url: str) -> str:
    """A few lines: row counts of the main tables and the demo logins present in the database."""
    with psycopg.connect(url) as conn:
        lines = ["demo data:"]
        counts = []
        for table in SUMMARY_TABLES:
            if conn.execute("select to_regclass(%s)", (table,)).fetchone() == (None,):
                continue
            n = conn.execute(
                sql.SQL("select count(*) from {}").format(sql.Identifier(*table.split(".")))
            ).fetchone()
            counts.append(f"{table.split('.')[1]} {n[0] if n else 0:,}")
        for i in range(0, len(counts), 4):
            lines.append("  " + ", ".join(counts[i : i + 4]))
        rows = conn.execute(
            "select u.email, coalesce(string_agg(o.name || ' ' || uo.role, ', ' order by o.id), '')"
            " from auth.users u left join public.user_organizations uo on uo.user_id = u.id"
            " left join public.organizations o on o.id = uo.organization_id"
            " where u.email = any(%s) group by u.email",
            (list(DEMO_LOGINS),),
        ).fetchall()
        found: dict[str, str] = {str(e): str(r) for e, r in rows}
        if found:
            lines.append(f"demo logins (password {DEMO_PASSWORD!r}):")
            for email in DEMO_LOGINS:
                if email in found:
                    role = found[email] or (
                        "platform admin" if email.startswith("admin@odyssey") else "no organization"
                    )
                    lines.append(f"  {email:<22} {role}")
        return "\n".join(lines)


def _organization_count(conn: psycopg.Connection) -> int:
    if conn.execute("select to_regclass('public.organizations')").fetchone() == (None,):
        raise SeedError(
            "the database is not migrated (no public.organizations): run `odyssey db migrate` first"
        )
    row = conn.execute("select count(*) from public.organizations").fetchone()
    return int(row[0]) if row else 0


def _check_target(conn: psycopg.Connection) -> None:
    n = _organization_count(conn)
    if n:
        raise SeedError(
            f"the database already has {n} organization(s); refusing to seed over them"
            " (use `odyssey db reset` to start from an empty database)"
        )


def _suspend_audit(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """Disable the row-audit triggers for this transaction's bulk load; returns (table, trigger) pairs."""
    rows = conn.execute(
        "select format('%%I.%%I', n.nspname, c.relname), t.tgname from pg_trigger t"
        " join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace"
        " join pg_proc p on p.oid = t.tgfoid where not t.tgisinternal and p.proname = %s and t.tgenabled <> 'D'"
        " order by 1, 2",
        (_AUDIT_FUNCTION,),
    ).fetchall()
    for table, trigger in rows:
        conn.execute(
            sql.SQL("alter table {} disable trigger {}").format(sql.SQL(table), sql.Identifier(trigger))
        )
    return [(str(t), str(g)) for t, g in rows]


def _next_id(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(
        sql.SQL("select coalesce(max(id), 0) + 1 from {}").format(sql.Identifier(*table.split(".")))
    ).fetchone()
    return int(row[0]) if row else 1


def _plans(conn: psycopg.Connection) -> dict[str, tuple[int, int]]:
    """tier -> (plan id, monthly price in cents); the tiers are inserted when the migration did not."""
    rows = conn.execute("select tier, id, price_monthly from public.subscription_plans").fetchall()
    if not rows:
        for tier, cents in _PLAN_PRICES.items():
            conn.execute(
                "insert into public.subscription_plans (tier, name, price_monthly, price_yearly, features, limits)"
                " values (%s, %s, %s, %s, '{}', '{}')",
                (tier, tier.capitalize(), _money(cents), _money(cents * 10)),
            )
        rows = conn.execute("select tier, id, price_monthly from public.subscription_plans").fetchall()
    return {str(t): (int(i), int(Decimal(p) * 100)) for t, i, p in rows}


def _load(loader: Loader, scale: Scale) -> None:
    conn = loader.conn
    plans = _plans(conn)
    orgs = plan_organizations(scale, _rng("organizations.plan"), _next_id(conn, "public.organizations"))
    users = plan_users(scale, orgs, _rng("users.plan"))
    admin = next(u for u in users if u.is_admin)

    row = conn.execute("select extensions.crypt(%s, %s)", (DEMO_PASSWORD, _BCRYPT_SALT)).fetchone()
    password_hash = str(row[0]) if row else ""
    loader.copy("auth.users", AUTH_USER_COLS, auth_user_rows(users, password_hash), len(users))
    _identities(conn, users)
    _profiles(loader, users)
    loader.copy(
        "public.organizations",
        ORG_COLS,
        organization_rows(orgs, {t: i for t, (i, _) in plans.items()}),
        len(orgs),
    )
    loader.copy("public.user_organizations", MEMBERSHIP_COLS, membership_rows(users))

    subs: list[SubscriptionPlan] = []
    loader.copy(
        "public.subscriptions",
        SUBSCRIPTION_COLS,
        subscription_rows(orgs, plans, _next_id(conn, "public.subscriptions"), subs),
        len(orgs),
    )

    employees: list[EmployeePlan] = []
    loader.copy(
        "public.employees",
        EMPLOYEE_COLS,
        employee_rows(orgs, users, _next_id(conn, "public.employees"), employees),
        scale.employees,
    )
    loader.copy("public.time_entries", TIME_ENTRY_COLS, time_entry_rows(employees), scale.employees * 12)

    refs: list[CustomerRef] = []
    loader.copy(
        "public.customers",
        CUSTOMER_COLS,
        customer_rows(orgs, scale, _next_id(conn, "public.customers"), refs),
        scale.customers,
    )
    billables: list[Billable] = []
    expected_bids = int(scale.customers * scale.bids_per_customer)
    loader.copy(
        "public.bids", BID_COLS, bid_rows(refs, _next_id(conn, "public.bids"), billables), expected_bids
    )
    standalone_billables(refs, billables)
    inv_payments: list[InvoicePayment] = []
    loader.copy(
        "public.invoices",
        INVOICE_COLS,
        invoice_rows(billables, _next_id(conn, "public.invoices"), inv_payments),
        len(billables),
    )
    loader.copy("public.payments", PAYMENT_COLS, payment_rows(inv_payments, subs), len(inv_payments))
    loader.copy("public.appointments", APPOINTMENT_COLS, appointment_rows(orgs, scale))

    loader.copy("public.system_logs", SYSTEM_LOG_COLS, system_log_rows(orgs, scale))
    loader.copy("public.ai_usage_logs", AI_USAGE_COLS, ai_usage_rows(orgs, scale))
    loader.copy("public.ai_compliance_logs", AI_COMPLIANCE_COLS, ai_compliance_rows(orgs, admin))
    loader.copy("ops.roman_events", ROMAN_EVENT_COLS, roman_event_rows(orgs, scale))
    loader.copy("ops.roman_commands", ROMAN_COMMAND_COLS, roman_command_rows(orgs, scale))
    loader.copy("ops.agents", AGENT_COLS, agent_rows(orgs))
    loader.copy("ops.system_health", SYSTEM_HEALTH_COLS, system_health_rows())
    if loader.exists("public.system_config"):
        present = {r[0] for r in conn.execute("select key from public.system_config").fetchall()}
        loader.copy(
            "public.system_config",
            ("key", "value", "description", "created_at", "updated_at"),
            ((k, _js(v), d, SEED_NOW, SEED_NOW) for k, v, d in SYSTEM_CONFIG if k not in present),
        )
    loader.copy("public.system_knowledge", SYSTEM_KNOWLEDGE_COLS, system_knowledge_rows())

    groups: list[tuple[int, uuid.UUID, int]] = []
    loader.copy(
        "public.study_groups",
        STUDY_GROUP_COLS,
        study_group_rows(users, scale, _next_id(conn, "public.study_groups"), groups),
    )
    members: dict[int, list[uuid.UUID]] = {}
    loader.copy("public.study_group_members", STUDY_MEMBER_COLS, study_member_rows(users, groups, members))
    loader.copy("public.study_group_messages", STUDY_MESSAGE_COLS, study_message_rows(members))
    loader.copy("public.tutoring_sessions", TUTORING_COLS, tutoring_rows(users, scale))
    loader.copy("public.academic_search_results", ACADEMIC_COLS, academic_rows(scale))


def _identities(conn: psycopg.Connection, users: Sequence[User] | None) -> None:
    """On the Supabase platform an email login also needs an auth.identities row (the local shim has none).

    `users=None` covers every user that has none yet (the OnyxOS staff included)."""
    if conn.execute("select to_regclass('auth.identities')").fetchone() == (None,):
        return
    conn.execute(
        "insert into auth.identities (id, user_id, provider_id, provider, identity_data, last_sign_in_at,"
        " created_at, updated_at)"
        " select u.id, u.id, u.id::text, 'email',"
        " jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true),"
        " u.last_sign_in_at, u.created_at, u.updated_at"
        " from auth.users u where (%s::uuid[] is null or u.id = any(%s::uuid[]))"
        " and not exists (select 1 from auth.identities i where i.user_id = u.id and i.provider = 'email')",
        (None if users is None else [u.id for u in users],) * 2,
    )


def _profiles(loader: Loader, users: Sequence[User]) -> None:
    """Fill in the profiles the auth.users trigger created (or create them when there is no such trigger)."""
    conn = loader.conn
    started = time.perf_counter()
    conn.execute("create temp table seed_profiles (like public.profiles) on commit drop")
    with (
        conn.cursor() as cur,
        cur.copy(
            sql.SQL("copy seed_profiles ({}) from stdin").format(
                sql.SQL(", ").join(map(sql.Identifier, PROFILE_COLS))
            )
        ) as cp,
    ):
        for row in profile_rows(users):
            cp.write_row(row)
    sets = sql.SQL(", ").join(
        sql.SQL("{} = s.{}").format(sql.Identifier(c), sql.Identifier(c))
        for c in PROFILE_COLS
        if c not in ("id", "updated_at")
    )
    conn.execute(
        sql.SQL("update public.profiles p set {} from seed_profiles s where p.id = s.id").format(sets)
    )
    cols = sql.SQL(", ").join(map(sql.Identifier, PROFILE_COLS))
    conn.execute(
        sql.SQL(
            "insert into public.profiles ({}) select {} from seed_profiles s"
            " where not exists (select 1 from public.profiles p where p.id = s.id)"
        ).format(cols, cols)
    )
    loader.counts["public.profiles"] = len(users)
    loader.line(f"  {'public.profiles':<34} {len(users):>10,} rows {time.perf_counter() - started:8.2f} s")


def _onyx(conn: psycopg.Connection, scale: str, loader: Loader) -> None:
    """The OnyxOS data set, when devkit.seed_onyx exists (written by the OnyxOS engineer)."""
    try:
        module = importlib.import_module("devkit.seed_onyx")
    except ImportError as exc:
        if exc.name != "devkit.seed_onyx":
            raise
        return
    started = time.perf_counter()
    seed_fn: Callable[[psycopg.Connection, str, random.Random], Any] = module.seed
    seed_fn(conn, scale, _rng("onyx"))
    _identities(conn, None)
    loader.line(f"  {'onyx (devkit.seed_onyx)':<34} {'':>10} done {time.perf_counter() - started:8.2f} s")


def _finish(conn: psycopg.Connection, loader: Loader, audited: Sequence[tuple[str, str]]) -> None:
    """Sequences past the explicit ids, audit triggers back on with one summary line each."""
    for table in _EXPLICIT_ID_TABLES:
        if loader.exists(table):
            conn.execute(
                sql.SQL(
                    "select setval(pg_get_serial_sequence(%s, 'id'), greatest((select max(id) from {}), 1))"
                ).format(sql.Identifier(*table.split("."))),
                (table,),
            )
    for table, trigger in audited:
        conn.execute(
            sql.SQL("alter table {} enable trigger {}").format(sql.SQL(table), sql.Identifier(trigger))
        )
    if audited and loader.exists("public.system_logs"):
        with conn.cursor() as cur:
            cur.executemany(
                "insert into public.system_logs (timestamp, severity, source, message, metadata)"
                " values (%s, 'info', 'devkit.seed', %s, %s)",
                [
                    (
                        SEED_NOW,
                        f"seed: {loader.counts.get(t, 0):,} rows loaded into {t}",
                        _js(
                            {
                                "table": t,
                                "rows": loader.counts.get(t, 0),
                                "seed": SEED,
                                "row_audit": "suspended during the bulk load",
                            }
                        ),
                    )
                    for t, _ in audited
                ],
            )
