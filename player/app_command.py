"""`woodshed app [SONG]` (also plain `woodshed` and `woodshed SONG`) and `woodshed demo`."""
from __future__ import annotations


def add_parser(subparsers) -> None:
    app = subparsers.add_parser("app", help="open the practice window (the default command)",
                                description="Open the practice window, optionally on a song file "
                                "or a cached song folder.")
    app.add_argument("song", nargs="?", help="a song file to open (separated in the background)")
    app.add_argument("--device", help="output device: number or name (see `woodshed devices`)")
    app.set_defaults(func=_run_app)
    demo = subparsers.add_parser("demo", help="open the practice window on the bundled demo song",
                                 description="Open the practice window on 'Woodshed Groove', a "
                                 "short demo song (drums, bass, piano, lead) that ships with Woodshed.")
    demo.add_argument("--device", help="output device: number or name (see `woodshed devices`)")
    demo.set_defaults(func=_run_demo)


def _run_app(args) -> int:
    from player.app import run

    return run(song=args.song, device=_device(args.device))


def _run_demo(args) -> int:
    from player.app import run

    return run(demo=True, device=_device(args.device))


def _device(text: str | None):
    """PortAudio takes a device number or (part of) its name."""
    return int(text) if text is not None and text.strip().isdigit() else text
