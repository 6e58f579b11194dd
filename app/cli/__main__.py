"""`python -m app.cli`: the `c360` command line."""

from app.cli import main

main()
