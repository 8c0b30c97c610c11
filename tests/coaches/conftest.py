"""The named personas live in tests/personas.py so every test package can use them."""

from tests.personas import PERSONAS, World, as_persona, book, world  # noqa: F401
