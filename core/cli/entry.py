"""`python -m core.cli.entry` runs the CLI without the installed console script (used by tests)."""

from core.cli import main

if __name__ == "__main__":
    main()
