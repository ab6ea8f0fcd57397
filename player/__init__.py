"""Real-time half of Woodshed, installed as woodshed.player: engine/ (the real-time core and
export), cli/ (the terminal), ui/ (the window); song_source.py says what a SONG path is."""
