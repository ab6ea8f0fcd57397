"""The terminal: the `woodshed` entry point, its subcommands and the interactive player's keys."""
