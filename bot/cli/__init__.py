"""The command line `sansang` (also `python -m bot`): parser, admin commands, the shell."""
