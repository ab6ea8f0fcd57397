"""The real-time core: mixing, stretching and looping stems into an audio device, and the same
render path into a file (export). Nothing here imports Qt or the terminal."""
