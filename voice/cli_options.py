"""The command line's options and their rules; the commands themselves are in `voice.cli`.

Setting options come from the declaration in `voice.settings`. The assistant's options are taken
before or after the word `run` (subcommands leave what they were not given out of the namespace,
so they never overwrite an option given earlier), and an option that would have no effect, given
to a command that does not use it or beside one that makes it pointless, is refused rather than
silently dropped.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from voice.conversation.commands import command_phrases
from voice.errors import VoiceError
from voice.settings import DECLARED, Settings, add_options, default_config_path, dest, load_settings

EXIT_USER_ERROR = 2
RUN_SETTINGS = tuple(name for name in DECLARED if name != "knowledge")
# A mode option, what it does, and the options it leaves without effect.
_LEAVES_UNUSED = {
    "text": ("reads typed lines instead of listening", ("input", "input_device", "engine", "model", "silence")),
    "input": ("listens to a recording instead of a microphone", ("input_device",)),
    "mute": ("turns speech off", ("output", "output_device", "rate", "volume", "voice")),
    "output": ("writes speech to a file instead of the speaker", ("output_device",)),
}
Handler = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """A usage mistake is one line that says where to look, like every other problem."""

    def error(self, message: str) -> NoReturn:
        unknown = message.split(": ", 1)[1].split() if message.startswith("unrecognized arguments: ") else []
        misplaced = [word.split("=")[0] for word in unknown if word.split("=")[0] in _assistant_flags()]
        if misplaced:
            message = f"{misplaced[0]} is an option of the assistant (symptom-voice run), not of this command"
        self.exit(EXIT_USER_ERROR, f"{self.prog}: {message} (see: {self.prog} --help)\n")


def _assistant_flags() -> set[str]:
    probe = argparse.ArgumentParser(add_help=False)
    run_options(probe)
    return set(probe._option_string_actions)


def global_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """Options every command takes, before or after its name."""
    parser.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS if suppress else None,
                        help=f"settings file (default: {default_config_path()} if present)")
    add_options(parser, ("knowledge",), suppress)


def run_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """The assistant's own options."""
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("the assistant (symptom-voice [run])")
    group.add_argument("--text", action="store_true", default=default, help="type instead of speaking")
    group.add_argument("--input", metavar="FILE.wav", default=default,
                       help="listen to a recording instead of the microphone")
    group.add_argument("--output", metavar="FILE.wav", default=default,
                       help="write speech to a file instead of the speaker")
    add_options(group, RUN_SETTINGS, suppress)


def spoken_commands() -> str:
    """The spoken commands for --help, from the commands' own table."""
    lines = ["spoken commands (say one at any time; other wordings work too):"]
    for command, phrases in command_phrases().items():
        lines.append(f"  {command.value.replace('_', ' '):<11} " + ", ".join(f'"{p}"' for p in phrases[:3]))
    return "\n".join(lines)


def add_command(sub: Any, name: str, help: str, handler: Handler,
                build: Callable[[argparse.ArgumentParser], Any] = lambda parser: None,
                **kwargs: Any) -> argparse.ArgumentParser:
    """A command `name` whose own options `build` adds; it also takes the global options."""
    parser = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".", **kwargs)
    build(parser)
    global_options(parser, suppress=True)
    parser.set_defaults(handler=handler, options=frozenset(action.dest for action in parser._actions))
    return parser


def refuse_unused(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """parser.error for an option with no effect. `args.options` is None for the assistant,
    else the options the chosen command takes."""
    given = {name for name, value in vars(args).items() if value not in (None, False)}
    if args.options is not None:
        for option in sorted(given - args.options - {"handler", "options"}):
            parser.error(f"{flag(option)} is an option of the assistant (symptom-voice run), not of this command")
        return
    for option, (does, unused) in _LEAVES_UNUSED.items():
        for other in unused:
            if option in given and other in given:
                parser.error(f"{flag(option)} {does}, so {flag(other)} would be ignored: leave one of them out")


def refuse_muted_speech(args: argparse.Namespace, settings: Settings) -> None:
    """VoiceError for a speech option given while the config file turns speech off."""
    if settings.mute and args.mute is None:
        for other in _LEAVES_UNUSED["mute"][1]:
            if getattr(args, other) is not None:
                raise VoiceError(f"the config file turns speech off (mute: true), so {flag(other)} would be "
                                 f"ignored: add --no-mute to hear it")


def flag(name: str) -> str:
    """The option whose attribute is `name`."""
    return "--" + name.replace("_", "-")


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings: defaults, the config file, then the options given to this command."""
    overrides = {name: getattr(args, dest(name), None) for name in DECLARED}
    return load_settings(getattr(args, "config", None), overrides)
