"""Our own exceptions, in one place.

    SansangError
    ├── ConfigError          a setting in the environment is missing or wrong
    ├── ContentError         a data file under content/ is malformed
    └── MigrationError       a migration in db/migrations failed or the set is inconsistent
"""


class SansangError(Exception):
    """Base of every error this application raises on purpose."""


class ConfigError(SansangError):
    """A setting is missing or wrong; the message names it and shows a right value."""


class ContentError(SansangError):
    """A data file under content/ is malformed; the message names the file."""


class MigrationError(SansangError):
    """A migration failed or the recorded migrations do not match the files."""
