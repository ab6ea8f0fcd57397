"""Musical time: a song's beat grid (beats, downbeats, beats per bar), found once per song
and kept in its cache folder beside the stems (see grid.py for the file, analyse.py for
how it is made, tracker.py for the model-free tracker, beat_this_model/ for the neural one)."""
