"""Command-line helpers shared by the tools: one ``error: ...`` line and exit code 2.

Pure Python (argparse only), so the numpy-only tools use it too.
"""
import argparse
import sys
from typing import NoReturn

EXIT_USAGE = 2  # bad arguments or bad input, as argparse uses


def fail(message: object, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``error: <message>`` as one line on stderr and exit.

    Args:
        message: What went wrong (name the file and field); line breaks are folded.
        code (int): The exit code. Defaults to 2.
    """
    print(f'error: {" ".join(str(message).split())}', file=sys.stderr)
    sys.exit(code)


class OneLineErrorParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose usage errors are one ``error: ...`` line (exit 2).

    argparse's own error prints the whole usage block first, which buries the one line
    that says what is wrong when a tool runs inside a script or a log.
    """

    def error(self, message: str) -> NoReturn:
        fail(message)
