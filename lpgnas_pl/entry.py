"""The ``lpgnas`` executable: the root ``--help`` from ``COMMANDS`` alone (importing Lightning is
3 s of the 4.7 s a full parser takes here), everything else handed to ``lpgnas_pl.cli.main``."""
from __future__ import annotations

import argparse
import sys
from typing import Optional

from lpgnas_pl.utils.commands import COMMANDS


def root_help() -> str:
    """The usage, the options every subcommand shares, and each subcommand's one line."""
    parser = argparse.ArgumentParser(
        prog="lpgnas", description="lpgnas-pl: searches a GNN's architecture and its quantisation together "
        "(LPGNAS), derives the network, retrains, tests and exports it.",
        epilog="Add a subcommand followed by --help for its options, e.g. lpgnas fit --help.")
    parser.add_argument("-c", "--config", help="Path to a configuration file in json or yaml format.")
    parser.add_argument("--print_config", metavar="=flags", nargs="?",
                        help="Print the configuration after applying all other arguments and exit.")
    subcommands = parser.add_subparsers(title="subcommands", metavar="{" + ",".join(COMMANDS) + "}")
    for name, help_line in COMMANDS.items():
        subcommands.add_parser(name, help=help_line)
    return parser.format_help()


def main(args: Optional[list[str]] = None) -> None:
    """``lpgnas -h | --help`` prints ``root_help``; any other arguments run the Lightning CLI."""
    argv = sys.argv[1:] if args is None else args
    if argv in (["-h"], ["--help"]):
        print(root_help(), end="")
        return
    # Lightning and the models are imported only where a command runs
    from lpgnas_pl.cli import main as run_cli

    run_cli(args)


if __name__ == "__main__":
    main()
