"""Offline half of Woodshed: a song file in, cached instrument stems out."""
