"""`woodshed` command line: one entry point, one subcommand per job.

Each command module offers ``add_parser(subparsers)``; the parser it adds sets ``func``.
User mistakes raise UserError and end as one line on stderr with exit status 2.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

from woodshed.separation.errors import UserError

log = logging.getLogger(__name__)

# Modules that add subcommands, in the order `woodshed --help` lists them.
COMMAND_MODULES = [
    "woodshed.separation.commands",
    "woodshed.separation.import_command",
    "woodshed.player.cli.commands",
    "woodshed.player.cli.midi_command",
    "woodshed.player.cli.beats_command",
    "woodshed.player.cli.app_command",
    "woodshed.player.cli.selftest",
]


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, like every other user mistake
        self.exit(2, f"woodshed: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="woodshed", description="Practice player: separate a song into "
                     "instrument stems, then loop, slow down and mute them live.")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command module not written yet
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    if "app" in commands and (not argv or (argv[0] not in commands and not argv[0].startswith("-"))):
        argv = ["app", *argv]  # `woodshed` and `woodshed SONG` open the window
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    from woodshed.player.log_file import setup_logging, where_details_are

    setup_logging()
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"woodshed: error: {exc.message}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("woodshed: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # the OS refused a path (too long, not allowed...): not a bug
        from woodshed.separation.errors import describe_os_error, printable

        log.warning("the OS refused: %s", exc, exc_info=True)
        print(f"woodshed: error: {printable(describe_os_error(exc))}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line here, the traceback in the log
        log.exception("unexpected error in `woodshed %s`", " ".join(argv))
        details = where_details_are()
        print(f"woodshed: error: something went wrong inside Woodshed (a bug): "
              f"{type(exc).__name__}: {one_line(exc)}" + (f"; {details}" if details else ""),
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
