"""Dates, numbers, quantities, ages, pages and limits: properties and the GOLD_FORMAT examples."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imrassist.parse import (
    find_dates,
    find_limits,
    number_to_words,
    parse_age,
    parse_date,
    parse_number,
    parse_pages,
    parse_quantity,
    parse_sex,
)

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
MONTHS_ES = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
             "noviembre", "diciembre"]


@given(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2039, 12, 31)),
       st.sampled_from(["long", "abbr", "slash", "dash", "short", "iso", "es", "dmy"]))
@settings(max_examples=400, deadline=None)
def test_date_formats_round_trip(d: dt.date, style: str) -> None:
    text = {
        "long": f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
        "abbr": f"{MONTHS[d.month - 1][:3]}. {d.day}, {d.year}",
        "slash": f"{d.month:02d}/{d.day:02d}/{d.year}",
        "dash": f"{d.month}-{d.day}-{d.year % 100:02d}",
        "short": f"{d.month}/{d.day}/{d.year % 100:02d}",
        "iso": d.isoformat(),
        "es": f"{d.day} de {MONTHS_ES[d.month - 1]} de {d.year}",
        "dmy": f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    }[style]
    if style in ("dash", "short") and not (1970 <= d.year <= 2069):
        return  # two-digit years are read in 1970-2069
    found = find_dates(f"seen on {text}, then")
    assert [f.date for f in found] == [d]
    assert f"seen on {text}, then"[found[0].start:found[0].end] == text


def test_dates_are_not_levels_or_ratios() -> None:
    assert find_dates("disc protrusion at L4-5 and C5-6, pain 5/10, 10/325mg") == ()
    assert parse_date("DOS 12/29/16") == dt.date(2016, 12, 29)
    assert parse_date("10-13-16") == dt.date(2016, 10, 13)


@given(st.integers(min_value=0, max_value=100))
def test_number_words_round_trip(n: int) -> None:
    assert parse_number(number_to_words(n)) == n
    assert parse_number(str(n)) == n


def test_spanish_numbers() -> None:
    assert parse_number("seis") == 6
    assert parse_number("treinta") == 30
    assert parse_number("veinticuatro") == 24


@pytest.mark.parametrize(
    "text, expected",
    [
        ("6 SESSION OF PUSH THERAPY", (6, "session")),
        ("Eight physical therapy sessions", (8, "session")),
        ("Physical therapy 2 times a week for 6 weeks", (12, "visit")),
        ("Initial acupuncture, 1 to 2 times per week for 4 weeks, for the neck", (8, "visit")),
        ("three times weekly for four weeks", (12, "visit")),
        ("PT 2x6 lumbar", (12, "visit")),
        ("Physical therapy x 12", (12, "visit")),
        ("Naproxen 550mg #60", (60, "count")),
        ("Terocin 120grams #1", (1, "count")),
        ("Three refills of Voltaren 75mg #60", (3, "refill")),
        ("Keflex 500mg for 7-10 days", (10, "day")),
        ("Lidopro cream 240 grams", (240, "gram")),
        ("Ketoprofen 250ml", (250, "ml")),
        ("Vascutherm unit, 14 days rental", (14, "day")),
        ("2 leg wraps", (2, "leg wrap")),
        ("Post-op physical therapy 12-18 sessions", (18, "session")),
        ("3 x-rays of the lumbar spine", (3, "x-ray")),
        ("Lumbar Spine Epidural Injection at L4-5 under fluoroscopy", None),
        ("Flurbiprofen 20%, Baclofen 5%, Capsaicin 0.025% in cream base", None),
        ("Three phase bone scan to the left foot", None),
        ("Retrospective TENS unit (DOS 12/29/16)", None),
    ],
)
def test_quantities(text: str, expected: tuple[float, str] | None) -> None:
    assert parse_quantity(text) == expected


def test_age_and_sex() -> None:
    assert parse_age("The injured worker is a(n) 54 year old female") == 54
    assert parse_age("a forty-four year old man") == 44
    assert parse_age("now 26-year-old female") == 26
    assert parse_age("aged 52") == 52
    assert parse_age("with 5 years of practice") is None
    assert parse_sex("a 38 year old male") == "male"
    assert parse_sex("una mujer de 54 años") == "female"


def test_pages() -> None:
    assert parse_pages("MASSAGE THERAPY Page(s): 60.") == [60]
    assert parse_pages("Physical Medicine Page(s): 98-99") == [98, 99]
    assert parse_pages("Epidural Steroid Injections, Page 81") == [81]
    assert parse_pages("pp. 111-113") == [111, 113]


def test_limits_skip_frequencies() -> None:
    lims = find_limits("up to 3 visits per week; 9-10 visits over 8 weeks; limited to 4-6 visits; up to 10 visits")
    assert [(x.min, x.max, x.per_period) for x in lims] == [(None, 3, True), (9, 10, False), (4, 6, False), (None, 10, False)]
