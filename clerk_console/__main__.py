"""`python -m clerk_console` is `clerk-console`."""

from clerk_console.cli import main

main()
