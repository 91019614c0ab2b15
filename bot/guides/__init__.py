"""Guides and search: the library, questions answered, emergency contacts, content checks."""
