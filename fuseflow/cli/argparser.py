"""argparse as fusec's parsers use it: the help laid out for the terminal's width,
told as shutil would tell it (argparse imports shutil, and with it bz2, lzma and
fnmatch, on every start to ask). commands.py loads this module, and with it
argparse, only for a command line that is not a plain `fusec run FILE ...`.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any


class Formatter(argparse.HelpFormatter):
    """argparse's help layout at the width terminal_width() gives."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, terminal_width() - 2 if width is None else width)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser with Formatter; its subcommands' parsers are of this class too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)


def terminal_width() -> int:
    """shutil.get_terminal_size().columns: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", 0))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80
