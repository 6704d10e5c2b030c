"""Generate Tandem's evaluation suite deterministically: `python bench/eval/generate.py` writes
bench/eval/calibration.jsonl and bench/eval/test.jsonl (same templates, disjoint facts and seeds), and
bench/eval/shifted.jsonl (other templates and facts, see shifted.py).

Kinds: `capital`, `fact` (common facts) and `lookup` / `extraction` / `classification` over a short
private context are tasks a 135M model can often do; `arithmetic` (multi-digit), `reasoning`
(multi-step word problems) and `rare_fact` are tasks it cannot; `long_lookup` hides one relevant
sentence in a long private context, so sub-queries can send only that snippet.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = {"calibration": 11, "test": 23}
PER_KIND = {
    "capital": 24,
    "fact": 18,
    "lookup": 24,
    "extraction": 18,
    "classification": 16,
    "arithmetic": 28,
    "reasoning": 18,
    "rare_fact": 18,
    "long_lookup": 24,
}

CAPITALS = [
    ("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"), ("Japan", "Tokyo"),
    ("China", "Beijing"), ("Russia", "Moscow"), ("Egypt", "Cairo"), ("England", "London"),
    ("Greece", "Athens"), ("Portugal", "Lisbon"), ("Ireland", "Dublin"), ("Austria", "Vienna"),
    ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Finland", "Helsinki"), ("Denmark", "Copenhagen"),
    ("Poland", "Warsaw"), ("Hungary", "Budapest"), ("Thailand", "Bangkok"), ("South Korea", "Seoul"),
    ("Argentina", "Buenos Aires"), ("Peru", "Lima"), ("Mexico", "Mexico City"), ("Cuba", "Havana"),
    ("Kenya", "Nairobi"), ("Belgium", "Brussels"), ("the Netherlands", "Amsterdam"),
    ("Czech Republic", "Prague"), ("Turkey", "Ankara"), ("India", "New Delhi"), ("Iran", "Tehran"),
    ("Iraq", "Baghdad"), ("Chile", "Santiago"), ("Colombia", "Bogota"), ("Venezuela", "Caracas"),
    ("Switzerland", "Bern"), ("Canada", "Ottawa"), ("Australia", "Canberra"), ("Brazil", "Brasilia"),
    ("Vietnam", "Hanoi"), ("Philippines", "Manila"), ("Indonesia", "Jakarta"), ("Ukraine", "Kyiv"),
    ("Romania", "Bucharest"), ("Bulgaria", "Sofia"), ("Scotland", "Edinburgh"), ("Saudi Arabia", "Riyadh"),
]
RARE_CAPITALS = [
    ("Burkina Faso", "Ouagadougou"), ("Kyrgyzstan", "Bishkek"), ("Bhutan", "Thimphu"), ("Eritrea", "Asmara"),
    ("Vanuatu", "Port Vila"), ("Palau", "Ngerulmud"), ("Tuvalu", "Funafuti"), ("Lesotho", "Maseru"),
    ("Suriname", "Paramaribo"), ("Comoros", "Moroni"), ("Djibouti", "Djibouti"), ("Turkmenistan", "Ashgabat"),
    ("Tajikistan", "Dushanbe"), ("Moldova", "Chisinau"), ("Malawi", "Lilongwe"), ("Mauritania", "Nouakchott"),
    ("Kiribati", "Tarawa"), ("Nauru", "Yaren"), ("Benin", "Porto-Novo"), ("Equatorial Guinea", "Malabo"),
]
FACTS = [
    ("How many days are in a week?", "7", "numeric"), ("How many legs does a spider have?", "8", "numeric"),
    ("What color is the sky on a clear day?", "blue", "contains"), ("What is the opposite of hot?", "cold", "contains"),
    ("How many months are in a year?", "12", "numeric"), ("What animal says moo?", "cow", "contains"),
    ("What is frozen water called?", "ice", "contains"), ("How many hours are in a day?", "24", "numeric"),
    ("What is the largest planet in our solar system?", "Jupiter", "contains"),
    ("What gas do plants take in from the air?", "carbon dioxide", "contains"),
    ("What is the chemical symbol for water?", "H2O", "contains"), ("How many sides does a triangle have?", "3", "numeric"),
    ("What color are bananas when ripe?", "yellow", "contains"), ("What do bees make?", "honey", "contains"),
    ("Which planet is known as the Red Planet?", "Mars", "contains"), ("How many minutes are in an hour?", "60", "numeric"),
    ("What is the opposite of up?", "down", "contains"), ("What star is at the center of our solar system?", "Sun", "contains"),
    ("Who wrote Romeo and Juliet?", "Shakespeare", "contains"), ("What is the freezing point of water in Celsius?", "0", "numeric"),
    ("How many continents are there?", "7", "numeric"), ("What is the largest ocean on Earth?", "Pacific", "contains"),
    ("What language is mainly spoken in Brazil?", "Portuguese", "contains"), ("How many wheels does a bicycle have?", "2", "numeric"),
    ("What do caterpillars turn into?", "butterfl", "contains"),
    ("What is the boiling point of water in Celsius?", "100", "numeric"), ("Which animal is known as the king of the jungle?", "lion", "contains"),
    ("How many sides does a square have?", "4", "numeric"), ("What is the primary language of the United States?", "English", "contains"),
    ("What organ pumps blood through the body?", "heart", "contains"), ("What is the color of grass?", "green", "contains"),
    ("How many players are on a soccer team on the field?", "11", "numeric"),
    ("What is the currency of Japan?", "yen", "contains"), ("What is the capital letter after A?", "B", "contains"),
    ("Which is the closest planet to the Sun?", "Mercury", "contains"), ("What shape has three sides?", "triangle", "contains"),
]
RARE_FACTS = [
    ("In what year was the Peace of Westphalia signed?", "1648", "numeric"),
    ("Who wrote the novel 'The Master and Margarita'?", "Bulgakov", "contains"),
    ("What is the atomic number of tungsten?", "74", "numeric"),
    ("In what year did the Battle of Hastings take place?", "1066", "numeric"),
    ("Who composed the opera 'Rusalka'?", "Dvorak", "contains"),
    ("What is the atomic number of molybdenum?", "42", "numeric"),
    ("In what year was the Treaty of Tordesillas signed?", "1494", "numeric"),
    ("Who painted 'The Garden of Earthly Delights'?", "Bosch", "contains"),
    ("What is the melting point of gallium in degrees Celsius, rounded to the nearest whole number?", "30", "numeric"),
    ("Who was the first person to reach the South Pole?", "Amundsen", "contains"),
    ("What is the atomic number of xenon?", "54", "numeric"),
    ("In what year did the Byzantine capital Constantinople fall to the Ottomans?", "1453", "numeric"),
    ("Who wrote the epic poem 'The Lusiads'?", "Camoes", "contains"),
    ("What is the highest mountain in Africa?", "Kilimanjaro", "contains"),
    ("Who discovered the element polonium together with her husband?", "Curie", "contains"),
    ("In what year was the Magna Carta sealed?", "1215", "numeric"),
    ("What is the atomic number of iridium?", "77", "numeric"),
    ("Who wrote 'One Hundred Years of Solitude'?", "Garcia Marquez", "contains"),
    ("In what year did the Chernobyl disaster happen?", "1986", "numeric"),
    ("What is the longest river in South America?", "Amazon", "contains"),
    ("Who formulated the three laws of planetary motion?", "Kepler", "contains"),
    ("In what year did the French Revolution begin with the storming of the Bastille?", "1789", "numeric"),
    ("What is the atomic number of lead?", "82", "numeric"),
    ("Who composed 'The Rite of Spring'?", "Stravinsky", "contains"),
    ("In what year was the Congress of Vienna concluded?", "1815", "numeric"),
    ("Who wrote the philosophical work 'Critique of Pure Reason'?", "Kant", "contains"),
    ("What is the smallest country in Africa by area on the mainland?", "Gambia", "contains"),
    ("In what year did Sputnik 1 launch?", "1957", "numeric"),
    ("What is the atomic number of bismuth?", "83", "numeric"),
    ("Who wrote the novel 'Buddenbrooks'?", "Thomas Mann", "contains"),
    ("In what year did the Thirty Years' War begin?", "1618", "numeric"),
    ("What is the deepest lake in the world?", "Baikal", "contains"),
    ("Who was the architect of the Sagrada Familia?", "Gaudi", "contains"),
    ("In what year was the Edict of Nantes issued?", "1598", "numeric"),
    ("What is the atomic number of osmium?", "76", "numeric"),
    ("Who painted 'The Night Watch'?", "Rembrandt", "contains"),
]
FIRST = ["Alice", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Jonas", "Keiko", "Luis",
         "Maya", "Nikos", "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara"]
LAST = ["Moreno", "Keller", "Okafor", "Lindqvist", "Tanaka", "Haddad", "Novak", "Silva", "Brennan", "Petrov",
        "Dubois", "Sato", "Kowalski", "Ferreira", "Larsen", "Mehta"]
CITIES = ["Lyon", "Porto", "Leeds", "Graz", "Turku", "Ghent", "Bergen", "Malmo", "Brno", "Cork", "Aarhus", "Basel"]
DEPTS = ["Finance", "Legal", "Marketing", "Research", "Support", "Logistics", "Design", "Security"]
COLORS = ["red", "green", "blue", "yellow", "purple", "orange", "black", "white"]
PETS = ["dog", "cat", "parrot", "rabbit", "hamster", "turtle"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
POSITIVE = ["I love this blender, it works perfectly and was worth every penny.",
            "Fantastic service, the staff were friendly and the food was delicious.",
            "Great phone, the battery lasts all day and the camera is excellent.",
            "The hotel was wonderful, clean rooms and a beautiful view.",
            "Absolutely brilliant book, I enjoyed every page.",
            "The shoes are comfortable and look great, I am very happy."]
NEGATIVE = ["Terrible product, it broke after two days and support never answered.",
            "The food was cold and the waiter was rude, I will not come back.",
            "Awful phone, the screen cracked immediately and it keeps crashing.",
            "The hotel room was dirty and noisy, a horrible stay.",
            "Boring book, I hated the ending and wasted my money.",
            "The shoes hurt my feet and fell apart within a week, very disappointed."]
FILLER = [
    "The quarterly report notes that {city} office traffic rose slightly after the renovation.",
    "{name} mentioned that the printer on floor {n} needs new toner before Friday.",
    "Minutes: the team agreed to move the weekly sync to {month} and to rotate note taking.",
    "The cafeteria will serve {color} curry on Tuesdays starting next month.",
    "A reminder that badges must be worn at all times inside the {dept} wing.",
    "The parking garage on {city} Street will be closed for cleaning on the first weekend.",
    "{name} shared photos of the {pet} from the company picnic in the group chat.",
    "The travel policy allows economy class for flights under {n} hours.",
    "IT will update the laptops in the {dept} team overnight; please leave them plugged in.",
    "Volunteers are needed for the charity run organised by {name} in {month}.",
    "The library on the {n}th floor has new chairs and quieter study booths.",
    "Facilities reported that the {color} door in the lobby sticks in cold weather.",
]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _capital(rng: random.Random, pool: list[tuple[str, str]]) -> dict:
    country, city = pool.pop()
    q = rng.choice(["What is the capital of {c}?", "Name the capital city of {c}.", "Which city is the capital of {c}?"])
    return {"prompt": q.format(c=country), "context": None, "answer": city, "match": "contains"}


def _fact(pool: list[tuple[str, str, str]]) -> dict:
    prompt, answer, match = pool.pop()
    return {"prompt": prompt, "context": None, "answer": answer, "match": match}


def _record(rng: random.Random) -> tuple[str, dict[str, str]]:
    fields = {
        "name": _name(rng),
        "employee ID": str(rng.randint(10000, 99999)),
        "department": rng.choice(DEPTS),
        "city": rng.choice(CITIES),
        "favourite color": rng.choice(COLORS),
        "pet": rng.choice(PETS),
        "start month": rng.choice(MONTHS),
    }
    text = "\n".join(f"{k.capitalize()}: {v}" for k, v in fields.items())
    return text, fields


def _lookup(rng: random.Random) -> dict:
    text, fields = _record(rng)
    key = rng.choice(["employee ID", "department", "city", "favourite color", "pet", "start month"])
    return {"prompt": f"What is the {key} in this record?", "context": text, "answer": fields[key], "match": "contains"}


def _extraction(rng: random.Random) -> dict:
    name, day, month = _name(rng), rng.randint(2, 27), rng.choice(MONTHS)
    room, hour = rng.randint(100, 499), rng.randint(9, 16)
    text = (f"Hi team, {name} here. The project review is on {month} {day} at {hour}:00 in room {room}. "
            f"Please bring the draft budget. Thanks, {name.split()[0]}")
    what = rng.choice([("In which room is the review?", str(room)), ("In which month is the review?", month),
                       ("Who wrote this email? Give the full name.", name)])
    return {"prompt": what[0], "context": text, "answer": what[1], "match": "contains"}


def _classification(rng: random.Random) -> dict:
    positive = rng.random() < 0.5
    text = rng.choice(POSITIVE if positive else NEGATIVE)
    return {"prompt": "Is this review positive or negative? Answer with one word.", "context": text,
            "answer": "positive" if positive else "negative", "match": "contains"}


def _arithmetic(rng: random.Random) -> dict:
    op = rng.choice(["*", "+", "-", "*"])
    if op == "*":
        a, b = rng.randint(12, 99), rng.randint(13, 99)
        value, word = a * b, rng.choice(["What is {a} * {b}?", "Multiply {a} by {b}.", "Compute {a} times {b}."])
    elif op == "+":
        a, b = rng.randint(1000, 9999), rng.randint(1000, 9999)
        value, word = a + b, rng.choice(["What is {a} + {b}?", "Add {a} and {b}."])
    else:
        a, b = rng.randint(5000, 9999), rng.randint(1000, 4999)
        value, word = a - b, rng.choice(["What is {a} - {b}?", "Subtract {b} from {a}."])
    return {"prompt": word.format(a=a, b=b), "context": None, "answer": str(value), "match": "numeric"}


def _reasoning(rng: random.Random) -> dict:
    name = rng.choice(FIRST)
    a, b, c = rng.randint(11, 40), rng.randint(2, 9), rng.randint(3, 7)
    template = rng.choice([
        ("{n} has {a} apples. {n} gives away {b} and then buys {c} times as many as are left. "
         "How many apples does {n} have now?", lambda: (a - b) + c * (a - b)),
        ("A train leaves with {a} passengers. At the first stop {b} get off and {c} get on; at the second stop "
         "twice as many get on as got off at the first. How many passengers are on the train?", lambda: a - b + c + 2 * b),
        ("{n} reads {c} pages on Monday and {b} more pages each day than the day before. How many pages has {n} "
         "read in total after Thursday?", lambda: c + (c + b) + (c + 2 * b) + (c + 3 * b)),
        ("A box holds {a} pens. {n} buys {c} boxes and gives {b} pens to each of {c} friends. How many pens are left?",
         lambda: a * c - b * c),
    ])
    return {"prompt": template[0].format(n=name, a=a, b=b, c=c), "context": None, "answer": str(template[1]()),
            "match": "numeric"}


def _long_lookup(rng: random.Random) -> dict:
    lines = []
    for _ in range(rng.randint(22, 30)):
        lines.append(rng.choice(FILLER).format(city=rng.choice(CITIES), name=_name(rng), n=rng.randint(2, 9),
                                                month=rng.choice(MONTHS), color=rng.choice(COLORS),
                                                dept=rng.choice(DEPTS), pet=rng.choice(PETS)))
    site = rng.choice(["north warehouse", "east lab", "river depot", "south archive", "harbour office"])
    code, owner = str(rng.randint(1000, 9999)), _name(rng)
    facts = [
        (f"The access code for the {site} is {code}.", f"What is the access code for the {site}?", code),
        (f"The {site} is managed by {owner}.", f"Who manages the {site}?", owner),
    ]
    fact, question, answer = rng.choice(facts)
    lines.insert(rng.randint(3, len(lines) - 3), fact)
    paragraphs = [" ".join(lines[i:i + 4]) for i in range(0, len(lines), 4)]
    return {"prompt": question, "context": "\n\n".join(paragraphs), "answer": answer, "match": "contains"}


def build_split(split: str, seed: int) -> list[dict]:
    """Every item of one split; the fact lists are halved so the splits share no fact."""
    rng = random.Random(seed)
    half = 0 if split == "calibration" else 1

    def halves(pool: list) -> list:
        shuffled = pool[:]
        random.Random(7).shuffle(shuffled)  # the same shuffle for both splits, so the halves are disjoint
        mid = len(shuffled) // 2
        part = shuffled[:mid] if half == 0 else shuffled[mid:]
        rng.shuffle(part)
        return part

    capitals, rare_capitals = halves(CAPITALS), halves(RARE_CAPITALS)
    facts, rare_facts = halves(FACTS), halves(RARE_FACTS)
    makers: dict[str, Callable[[], dict]] = {
        "capital": lambda: _capital(rng, capitals),
        "fact": lambda: _fact(facts),
        "lookup": lambda: _lookup(rng),
        "extraction": lambda: _extraction(rng),
        "classification": lambda: _classification(rng),
        "arithmetic": lambda: _arithmetic(rng),
        "reasoning": lambda: _reasoning(rng),
        "rare_fact": lambda: _fact(rare_facts) if rare_facts and (not rare_capitals or rng.random() < 0.6)
        else _capital(rng, rare_capitals),
        "long_lookup": lambda: _long_lookup(rng),
    }
    items = []
    for kind, count in PER_KIND.items():
        for i in range(count):
            item = makers[kind]()
            items.append({"id": f"{split}-{kind}-{i:03d}", **item, "kind": kind})
    rng.shuffle(items)
    return items


def all_splits() -> dict[str, list[dict]]:
    """Both splits, and the shifted suite (bench/eval/shifted.py) that no policy is fitted on."""
    sys.path.insert(0, str(HERE))
    from shifted import build_shifted

    splits = {split: build_split(split, seed) for split, seed in SEEDS.items()}
    splits["shifted"] = build_shifted()
    return splits


def main() -> None:
    """Write every split next to this script."""
    for split, items in all_splits().items():
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as out:
            for item in items:
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
        print(f"{split}: {len(items)} items")


if __name__ == "__main__":
    main()
