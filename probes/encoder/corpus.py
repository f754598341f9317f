"""A broad, seeded corpus of user prompts for training the concept encoder.

The prompts are written here (templates x topics x phrasings), not taken from any
data set; the model's own replies to them are generated later (on-policy). The same
seed always gives the same prompts, so the corpus can be regenerated exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

TOPICS = (
    "photosynthesis",
    "black holes",
    "the French Revolution",
    "compound interest",
    "volcanoes",
    "the immune system",
    "machine learning",
    "jazz music",
    "the Roman Empire",
    "climate change",
    "plate tectonics",
    "the stock market",
    "vaccines",
    "quantum computing",
    "honey bees",
    "the water cycle",
    "electric cars",
    "the printing press",
    "democracy",
    "coral reefs",
    "sleep",
    "coffee",
    "chess openings",
    "the moon landing",
    "recycling",
    "gravity",
    "the human heart",
    "inflation",
    "solar panels",
    "ancient Egypt",
    "the internet",
    "dinosaurs",
    "meditation",
    "bread baking",
    "the Olympic Games",
    "earthquakes",
    "antibiotics",
    "renewable energy",
    "the Renaissance",
    "octopuses",
    "tides",
    "rainbows",
    "cryptography",
    "the Silk Road",
    "marathon training",
    "gardening",
    "photography",
    "the periodic table",
    "supply and demand",
    "the Great Wall of China",
    "glaciers",
    "nutrition",
    "public speaking",
    "time management",
    "friendship",
    "learning a language",
    "job interviews",
    "budgeting",
    "first aid",
    "camping",
    "volunteering",
    "city planning",
    "bicycles",
    "the violin",
    "origami",
    "poetry",
    "Shakespeare",
    "the theory of evolution",
    "DNA",
    "rain forests",
    "deserts",
    "whales",
    "wolves",
    "elections",
    "taxes",
    "robots",
    "video games",
    "social media",
    "libraries",
    "museums",
    "trains",
    "airplanes",
    "bridges",
    "knitting",
    "pizza",
    "tea",
    "chocolate",
    "the ocean",
    "mountains",
    "weather forecasts",
    "habits",
    "memory",
    "happiness",
    "kindness",
    "negotiation",
    "leadership",
    "teamwork",
)

TASKS = (
    "Explain {t} in simple terms.",
    "What is the most important thing to know about {t}?",
    "Write a short poem about {t}.",
    "Give me three fun facts about {t}.",
    "Can you summarize the history of {t}?",
    "Write a two-sentence story that involves {t}.",
    "How would you teach a child about {t}?",
    "What are the pros and cons of {t}?",
    "Compare {t} and {u}.",
    "What do {t} and {u} have in common?",
    "List five questions a student might ask about {t}.",
    "Write a short product description for a book about {t}.",
    "Why do people find {t} interesting?",
    "Describe {t} to someone who has never heard of it.",
    "Give me a one-paragraph essay on {t}.",
    "What are common misconceptions about {t}?",
    "Write a friendly email inviting a colleague to a talk about {t}.",
    "Suggest a title for a blog post about {t}.",
    "How has {t} changed over the last hundred years?",
    "Write a haiku about {t}.",
    "If you could ask an expert on {t} one question, what would it be?",
    "Make a short quiz with answers about {t}.",
    "Explain {t} using an analogy.",
    "What would happen if {t} disappeared tomorrow?",
    "Write a dialogue between two friends talking about {t}.",
    "Tell me a joke about {t}.",
    "Give step-by-step advice for getting started with {t}.",
    "Translate into French: 'I would like to learn more about {t}.'",
    "Is {t} more like {u} or more different? Explain.",
    "Write a tweet about {t}.",
)

STANDALONE = (
    "What is {a} plus {b}?",
    "What is {a} times {b}?",
    "If I have {a} apples and give away {b}, how many are left?",
    "Is {a} a prime number?",
    "Convert {a} degrees Celsius to Fahrenheit.",
    "Write a Python function that returns the sum of a list.",
    "Write a Python function that checks whether a string is a palindrome.",
    "How do I reverse a list in Python?",
    "What does the SQL keyword JOIN do?",
    "Explain what a for loop is.",
    "Hi! How are you today?",
    "Good morning! Can you help me plan my day?",
    "What is the capital of {c}?",
    "Tell me something interesting about {c}.",
    "What language do people speak in {c}?",
    "I feel a bit tired today. Any advice?",
    "Recommend a good book for a long train ride.",
    "What should I cook for dinner tonight?",
    "How many days are there in a leap year?",
    "Spell the word '{w}' backwards.",
    "What is a synonym for '{w}'?",
    "Use the word '{w}' in a sentence.",
    "Thank you for your help!",
    "Can you keep a secret?",
    "Who are you?",
    "What can you do?",
)

COUNTRIES = (
    "France",
    "Japan",
    "Brazil",
    "Kenya",
    "Canada",
    "India",
    "Norway",
    "Mexico",
    "Egypt",
    "Australia",
    "Germany",
    "Peru",
    "Vietnam",
    "Italy",
    "Spain",
    "Chile",
    "Ghana",
    "Poland",
)
WORDS = (
    "happy",
    "quick",
    "bright",
    "ancient",
    "gentle",
    "curious",
    "brave",
    "silent",
    "careful",
    "enormous",
    "tiny",
    "strange",
    "simple",
    "honest",
    "clever",
    "calm",
)
PREFIXES = ("", "", "", "Please, ", "Quick question: ", "I'm curious. ", "For my class, ")
SUFFIXES = ("", "", "", " Keep it short.", " Be concise.", " Thanks!", " Use plain language.")
SYSTEMS = (
    None,
    None,
    None,
    "You are a helpful assistant.",
    "You are a friendly tutor who explains things clearly.",
    "You are a concise assistant. Answer briefly.",
)


@dataclass(frozen=True)
class Prompt:
    """One generated chat prompt and the template it came from."""

    id: str
    messages: list[dict[str, str]]
    template: str


def _standalone(rng: random.Random, template: str) -> str:
    return template.format(
        a=rng.randint(2, 99), b=rng.randint(2, 99), c=rng.choice(COUNTRIES), w=rng.choice(WORDS)
    )


def generate_prompts(n: int, seed: int = 0) -> list[Prompt]:
    """``n`` varied prompts; deterministic in ``seed``."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    rng = random.Random(seed)
    out: list[Prompt] = []
    for i in range(n):
        if rng.random() < 0.8:
            template = rng.choice(TASKS)
            t, u = rng.sample(TOPICS, 2)
            body = template.format(t=t, u=u)
        else:
            template = rng.choice(STANDALONE)
            body = _standalone(rng, template)
        text = rng.choice(PREFIXES) + body + rng.choice(SUFFIXES)
        messages: list[dict[str, str]] = []
        system = rng.choice(SYSTEMS)
        if system is not None:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": text})
        out.append(Prompt(id=f"corpus-{seed}-{i}", messages=messages, template=template))
    return out
