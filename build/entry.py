"""The frozen app's entry point: `woodshed` exactly as the installed command runs it."""
import multiprocessing
import sys

if __name__ == "__main__":
    # Separation runs in a spawned child process: in a frozen app the child is this same
    # executable, and freeze_support() turns it into the worker instead of a second app.
    multiprocessing.freeze_support()
    from woodshed.player.cli.main import main

    sys.exit(main())
