"""The entry of ``trailwarden`` (the console script) and ``python -m trailwarden``.

Ctrl-C is taken before the CLI's imports start, so it ends the process with the CLI's one line
and 130 at any moment, never with a traceback from a half-imported module."""

from trailwarden import interrupt

# Taken as this module is imported, not only when ``main`` runs: the console script imports
# ``main`` and calls it a statement later, and a Ctrl-C between the two was a traceback.
interrupt.hold()


def main() -> None:
    interrupt.hold()  # ``trailwarden.cli`` gives Ctrl-C back to the command once it starts
    from trailwarden.cli import main as run_cli  # typer, rich, botocore: most of start-up

    run_cli()


if __name__ == "__main__":
    main()
