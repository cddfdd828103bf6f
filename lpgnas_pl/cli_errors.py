"""jsonargparse's parse errors of an ``lpgnas`` command line as one line naming the bad value and what is allowed."""
from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Optional, Sequence

import yaml
from pytorch_lightning.cli import LightningCLI

from lpgnas_pl.utils.errors import import_class

# lines of jsonargparse's union-type reports that say nothing about the bad value
PARSE_NOISE = ("Does not validate against any of the Union subtypes", "Subtypes:", "Errors:", "Given value type:",
               "Expected a <class 'NoneType'>", "Expected a path but")


def parse_error_line(message: str, args: Sequence[str]) -> str:
    """jsonargparse's (multi-line) parse error of the command line ``args`` as one line.

    An unknown option names its class and that class's options; a config file that is not YAML
    names the file and the YAML problem; anything else keeps jsonargparse's lines minus the noise.
    """
    known = (*LightningCLI.subcommands(), "derive")
    help_command = f"lpgnas {args[0]} --help" if args and args[0] in known else "lpgnas --help"
    listed = f"the options listed by {help_command}"
    if message.startswith("Problems parsing config") or "codec can't decode" in message:
        return _yaml_problem(args) or f"--config: {' '.join(message.split())}; allowed: a YAML mapping of options"
    unknown = re.search(r"Option '([\w.]+)' is not accepted", message)
    before = message[:unknown.start()] if unknown else ""
    classes = re.findall(r"class_path '([\w.]+)'", before)  # the last one is the class that refused the option
    if classes:
        field = ".".join(re.findall(r'Parser key "([\w.]+)"', before))
        cls = import_class(classes[-1])
        parameters = inspect.signature(cls).parameters.values() if cls else []
        allowed = ", ".join(p.name for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))
        return (f"{field}: {unknown[1]!r} is not allowed (not an option of {classes[-1]}); "
                f"allowed: {allowed or listed}")
    top_level = re.fullmatch(r"Subcommand '(\w+)' does not accept option '([\w.]+)'", message)
    if top_level:
        return f"{top_level[2]}: unknown option of lpgnas {top_level[1]}; allowed: {listed}"
    unrecognised = re.fullmatch(r"unrecognized arguments: (.*)", message)
    if unrecognised:
        return f"{unrecognised[1]}: unknown option; allowed: {listed}"
    lines = [line.strip(" -") for line in message.splitlines()]
    kept = [line for line in lines if line and not line.startswith(PARSE_NOISE) and len(line) <= 200]
    return re.sub(r'Parser key "([^"]+)":', r"\1:", " ".join(kept)) + f" (allowed: {listed})"


def _yaml_problem(args: Sequence[str]) -> Optional[str]:
    """The first ``--config`` file of ``args`` that is not valid YAML, with the problem and where it is."""
    for flag, value in zip(args, args[1:]):
        if flag in ("-c", "--config") and Path(value).is_file():
            try:
                yaml.safe_load(Path(value).read_text())
            except UnicodeDecodeError:
                return f"--config: {value} is not text; allowed: a YAML mapping of options"
            except yaml.YAMLError as err:
                mark = getattr(err, "problem_mark", None)
                where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
                problem = getattr(err, "problem", None) or str(err).splitlines()[0]
                return f"--config: {value} is not valid YAML ({problem}{where}); allowed: a YAML mapping of options"
    return None
