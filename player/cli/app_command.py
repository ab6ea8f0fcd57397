"""`woodshed app [SONG]` (also plain `woodshed` and `woodshed SONG`) and `woodshed demo`."""
from __future__ import annotations

from pathlib import Path

from woodshed.separation.errors import UserError


def add_parser(subparsers) -> None:
    from woodshed.separation.commands import add_model_arguments

    app = subparsers.add_parser("app", help="open the practice window (the default command)",
                                description="Open the practice window, optionally on a song file "
                                "(separated in the background while it plays) or a cached song folder.")
    app.add_argument("song", nargs="?", help="a song file to open")
    _add_device_argument(app)
    add_model_arguments(app, defaults_from="set in Preferences ▸ Separation")
    app.set_defaults(func=_run_app)  # not named: the window's Preferences decide
    demo = subparsers.add_parser("demo", help="open the practice window on the bundled demo song",
                                 description="Open the practice window on 'Woodshed Groove', a "
                                 "short demo song (drums, bass, piano, lead) that ships with Woodshed.")
    _add_device_argument(demo)
    demo.set_defaults(func=_run_demo)


def _add_device_argument(parser) -> None:
    parser.add_argument("--device", help="output device: number or name (see `woodshed devices`)")


def separation_options(args) -> dict:
    """The separation options typed on the command line: each wins over its preference (one
    not typed leaves the Preferences' value, so the window works offline without them)."""
    return {"model": args.model, "model_repo": args.model_repo}


def _run_app(args) -> int:
    from woodshed.player.ui.app import run

    if args.song is not None and not Path(args.song).expanduser().exists():
        raise UserError(f"{args.song} does not exist")  # say so here, before any window opens
    return run(song=args.song, device=_device(args.device), command_line=separation_options(args))


def _run_demo(args) -> int:
    from woodshed.player.ui.app import run

    return run(demo=True, device=_device(args.device))


def _device(text: str | None):
    """PortAudio takes a device number or (part of) its name."""
    return int(text) if text is not None and text.strip().isdigit() else text
