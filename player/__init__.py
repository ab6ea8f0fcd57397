"""Real-time half of Woodshed: cached stems to speakers and to backing-track files; the GUI."""
