"""`python -m bot` is the same as the `sansang` console script."""

import sys

from bot.cli.sansang import main

sys.exit(main())
