"""A shifted suite the policy is never fitted on: other templates, other facts, other context formats.

Used by `python bench/eval/generate.py` to write bench/eval/shifted.jsonl, to check that the policy holds
its goals on data unlike the data it was calibrated on.
"""

from __future__ import annotations

import random
from collections.abc import Callable

PER_KIND = {"capital": 12, "fact": 12, "invoice": 12, "parcel": 10, "arithmetic": 14, "reasoning": 12,
            "rare_fact": 12, "long_lookup": 14}

CAPITALS = [("Nigeria", "Abuja"), ("Pakistan", "Islamabad"), ("Morocco", "Rabat"), ("Ethiopia", "Addis Ababa"),
            ("Croatia", "Zagreb"), ("Serbia", "Belgrade"), ("Slovakia", "Bratislava"), ("Ghana", "Accra"),
            ("Uruguay", "Montevideo"), ("Ecuador", "Quito"), ("New Zealand", "Wellington"), ("Malaysia", "Kuala Lumpur"),
            ("Nepal", "Kathmandu"), ("Jordan", "Amman"), ("Lebanon", "Beirut"), ("Syria", "Damascus")]
FACTS = [("How many legs does an insect have?", "6", "numeric"), ("What is the tallest animal in the world?", "giraffe", "contains"),
         ("How many seconds are in a minute?", "60", "numeric"), ("What do you call a baby cat?", "kitten", "contains"),
         ("Which season comes after winter?", "spring", "contains"), ("How many days are in a leap year?", "366", "numeric"),
         ("What is the largest mammal?", "whale", "contains"), ("What color do you get by mixing blue and yellow?", "green", "contains"),
         ("How many strings does a standard guitar have?", "6", "numeric"), ("What is the hardest natural substance?", "diamond", "contains"),
         ("What do plants need from the sun to grow?", "light", "contains"), ("How many zeros are in one thousand?", "3", "numeric"),
         ("Which bird is a symbol of peace?", "dove", "contains"), ("What is the main ingredient of guacamole?", "avocado", "contains")]
RARE = [("In what year was the Treaty of Utrecht signed?", "1713", "numeric"), ("Who wrote 'The Tale of Genji'?", "Murasaki", "contains"),
        ("What is the atomic number of hafnium?", "72", "numeric"), ("Who composed the opera 'Boris Godunov'?", "Mussorgsky", "contains"),
        ("In what year did the Battle of Lepanto take place?", "1571", "numeric"), ("Who painted 'The Arnolfini Portrait'?", "van Eyck", "contains"),
        ("What is the capital of the Solomon Islands?", "Honiara", "contains"), ("What is the atomic number of rhenium?", "75", "numeric"),
        ("Who wrote the novel 'The Leopard' (Il Gattopardo)?", "Lampedusa", "contains"), ("In what year was the Hanseatic city of Lubeck founded?", "1143", "numeric"),
        ("What is the capital of Sao Tome and Principe?", "Sao Tome", "contains"), ("Who discovered the planet Uranus?", "Herschel", "contains"),
        ("In what year did the Taiping Rebellion begin?", "1850", "numeric"), ("What is the atomic number of thulium?", "69", "numeric")]
NAMES = ["Ines Castro", "Tomasz Wojcik", "Aiko Mori", "Kwame Mensah", "Lena Fischer", "Omar Rahimi", "Nora Quinn",
         "Pavel Horak", "Sofia Rossi", "Darius Karimi"]
COURIERS = ["Parcelo", "SwiftShip", "NorthPost", "Kargo", "BlueLine"]
NOTES = [
    "Action item: {name} will circulate the revised slide deck by the end of the week.",
    "The vendor confirmed that the replacement monitors ship in batches of {n}.",
    "Discussion: the onboarding checklist is too long and should be split into two parts.",
    "{name} raised a concern about the heating in meeting room {n} during early mornings.",
    "Decision: quarterly planning moves online; travel is limited to customer visits.",
    "The analytics dashboard now refreshes every {n} minutes instead of hourly.",
    "Reminder: expense reports older than {n} days cannot be reimbursed.",
    "{name} thanked the support team for handling the weekend outage calmly.",
]


def _capital(rng: random.Random, pool: list[tuple[str, str]]) -> dict:
    country, city = pool.pop()
    return {"prompt": rng.choice(["Tell me the capital of {c}.", "{c}'s capital city is which city?"]).format(c=country),
            "context": None, "answer": city, "match": "contains"}


def _listed(pool: list[tuple[str, str, str]]) -> dict:
    prompt, answer, match = pool.pop()
    return {"prompt": prompt, "context": None, "answer": answer, "match": match}


def _invoice(rng: random.Random) -> dict:
    number, name = rng.randint(1000, 9999), rng.choice(NAMES)
    dollars, month, day = rng.randint(20, 900), rng.choice(["March", "May", "August", "October"]), rng.randint(1, 28)
    text = (f"INVOICE #{number}\nBilled to: {name}\nServices: consulting, {rng.randint(2, 9)} hours\n"
            f"Amount due: ${dollars}.00\nDue date: {month} {day}")
    prompt, answer = rng.choice([("What is the invoice number?", str(number)), ("Who is billed?", name),
                                 ("What is the amount due in dollars?", str(dollars)), ("In which month is it due?", month)])
    return {"prompt": prompt, "context": text, "answer": answer, "match": "contains"}


def _parcel(rng: random.Random) -> dict:
    courier, tracking, city = rng.choice(COURIERS), f"TRK{rng.randint(100000, 999999)}", rng.choice(["Oslo", "Lisbon", "Krakow", "Dublin"])
    text = f"Good news! Your parcel is on its way with {courier}. Tracking number: {tracking}. It will arrive at the {city} pickup point."
    prompt, answer = rng.choice([("Which courier carries the parcel?", courier), ("What is the tracking number?", tracking),
                                 ("Which city is the pickup point in?", city)])
    return {"prompt": prompt, "context": text, "answer": answer, "match": "contains"}


def _arithmetic(rng: random.Random) -> dict:
    a, b = rng.randint(23, 98), rng.randint(23, 98)
    c, d = rng.randint(2000, 9000), rng.randint(1000, 1999)
    prompt, value = rng.choice([(f"What's the product of {a} and {b}?", a * b), (f"Calculate {c} plus {d}.", c + d),
                                (f"What do you get when you subtract {d} from {c}?", c - d)])
    return {"prompt": prompt, "context": None, "answer": str(value), "match": "numeric"}


def _reasoning(rng: random.Random) -> dict:
    price, count, bill = rng.randint(2, 6), rng.randint(7, 15), 100
    speed, hours, extra = rng.randint(40, 90), rng.randint(2, 5), rng.randint(10, 60)
    prompt, value = rng.choice([
        (f"Pencils cost {price} dollars each. Mia buys {count} pencils and pays with a {bill}-dollar bill. "
         "How much change does she get?", bill - price * count),
        (f"A car drives at {speed} km per hour for {hours} hours and then another {extra} km. "
         "How many kilometres did it travel in total?", speed * hours + extra),
    ])
    return {"prompt": prompt, "context": None, "answer": str(value), "match": "numeric"}


def _long_lookup(rng: random.Random) -> dict:
    lines = [rng.choice(NOTES).format(name=rng.choice(NAMES), n=rng.randint(3, 30)) for _ in range(rng.randint(24, 30))]
    office = rng.choice(["Geneva office", "design studio", "training centre", "Osaka branch"])
    password, code = f"{rng.choice(['maple', 'harbor', 'cobalt', 'tundra'])}{rng.randint(10, 99)}", f"PX-{rng.randint(100, 999)}"
    fact, prompt, answer = rng.choice([
        (f"The guest Wi-Fi password for the {office} is {password}.", f"What is the guest Wi-Fi password for the {office}?", password),
        (f"The budget code for the {office} refurbishment is {code}.", f"What is the budget code for the {office} refurbishment?", code),
    ])
    lines.insert(rng.randint(3, len(lines) - 3), fact)
    return {"prompt": prompt, "context": "\n".join(lines), "answer": answer, "match": "contains"}


def build_shifted(seed: int = 37) -> list[dict]:
    """Every item of the shifted suite."""
    rng = random.Random(seed)
    capitals, facts, rare = CAPITALS[:], FACTS[:], RARE[:]
    for pool in (capitals, facts, rare):
        rng.shuffle(pool)
    makers: dict[str, Callable[[], dict]] = {
        "capital": lambda: _capital(rng, capitals), "fact": lambda: _listed(facts), "invoice": lambda: _invoice(rng),
        "parcel": lambda: _parcel(rng), "arithmetic": lambda: _arithmetic(rng), "reasoning": lambda: _reasoning(rng),
        "rare_fact": lambda: _listed(rare), "long_lookup": lambda: _long_lookup(rng),
    }
    items = [{"id": f"shifted-{kind}-{i:03d}", **makers[kind](), "kind": kind}
             for kind, count in PER_KIND.items() for i in range(count)]
    rng.shuffle(items)
    return items
