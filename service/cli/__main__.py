"""`python -m service.cli`: how `wijkwacht run` starts its child processes."""

from service.cli import main

main()
