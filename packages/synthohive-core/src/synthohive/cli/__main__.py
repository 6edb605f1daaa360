"""``python -m synthohive.cli``."""

from synthohive.cli import main

main()
