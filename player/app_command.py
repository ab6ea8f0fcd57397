"""`woodshed app [SONG]` (also plain `woodshed` and `woodshed SONG`) and `woodshed demo`."""
from __future__ import annotations


def add_parser(subparsers) -> None:
    app = subparsers.add_parser("app", help="open the practice window (the default command)",
                                description="Open the practice window, optionally on a song file "
                                "or a cached song folder.")
    app.add_argument("song", nargs="?", help="a song file to open (separated in the background)")
    app.set_defaults(func=_run_app)
    demo = subparsers.add_parser("demo", help="open the practice window on the bundled demo song",
                                 description="Open the practice window on 'Woodshed Groove', a "
                                 "short demo song (drums, bass, piano, lead) that ships with Woodshed.")
    demo.set_defaults(func=_run_demo)


def _run_app(args) -> int:
    from player.app import run

    return run(song=args.song)


def _run_demo(args) -> int:
    from player.app import run

    return run(demo=True)
