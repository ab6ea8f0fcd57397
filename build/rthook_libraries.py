"""Runtime hook: shared libraries we ship beside the app are found before the system's.

sounddevice (PortAudio) and our Rubber Band binding ask ctypes.util.find_library, which on
Linux only searches the system's paths: answer with the copy inside the bundle first.
"""
import ctypes.util
import glob
import os
import sys

_BUNDLE = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
_system_find_library = ctypes.util.find_library


def _find_library(name):
    for pattern in (f"lib{name}.so*", f"lib{name}*.dylib", f"lib{name}*.dll", f"{name}*.dll"):
        found = sorted(glob.glob(os.path.join(_BUNDLE, pattern)))
        if found:
            return found[0]
    return _system_find_library(name)


ctypes.util.find_library = _find_library
