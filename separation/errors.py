"""The one error type a musician sees: a clear, one-line message, never a traceback."""


class UserError(Exception):
    """A mistake in what the user asked for or gave us (bad file, bad name, full disk...).

    The command line prints ``woodshed: error: <message>`` and exits with status 2;
    the GUI shows the message in the window.
    """

    exit_status = 2

    def __init__(self, message: str):
        # One line: whatever wrapped text reaches us, the user sees a single line, and a
        # title or file name with control characters cannot drive the terminal.
        super().__init__(printable(" ".join(str(message).split())))

    @property
    def message(self) -> str:
        return self.args[0]


def describe_os_error(exc: OSError, path=None) -> str:
    """One-line text for an OS error, saying which path and what the OS said."""
    import errno

    # path "" means the caller already named the path: say only what happened (no ": :").
    if path is None:
        where = f"{exc.filename}: " if exc.filename else ""
    else:
        where = f"{path}: " if str(path) else ""
    if exc.errno == errno.ENOSPC:
        return f"{where}the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where}permission denied (read-only or not yours)"
    if exc.errno == errno.ENOENT:
        return f"{where}does not exist"
    if exc.errno == errno.ENAMETOOLONG:
        name = where[:-2]
        short = f"{name[:60]}…: " if len(name) > 60 else where
        return f"{short}the name is too long for this file system"
    return f"{where}{exc.strerror or exc}"


def printable(text: str) -> str:
    """text with control characters (escape sequences, bells, carriage returns) shown as
    \\x1b and the like, so a song's title prints as text and cannot drive the terminal."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))


def describe_write_failure(folder, exc: Exception) -> str:
    """Why a write into folder failed, in words: libsndfile says "System error." and numpy
    "problem writing element 0" when the disk is full, without an errno."""
    import shutil

    if isinstance(exc, OSError) and exc.errno is not None:
        return describe_os_error(exc, "")
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < 64 * 2**20:
        return f"the disk is full ({free / 2**20:.1f} MB free in {folder})"
    return f"the write failed ({' '.join(str(exc).split())})"
