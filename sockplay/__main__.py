"""`python -m sockplay` runs the same entry point as the `sockplay` command."""

from sockplay.cli import main

raise SystemExit(main())
