"""flip: the original Botless's table flip, with the text turned upside down."""

from __future__ import annotations

from core.registry import Command, CommandSet

commands = CommandSet()

_UPRIGHT = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"()[]{}<>&_;"
_UPSIDE_DOWN = "ɐqɔpǝɟƃɥᴉɾʞlɯuodbɹsʇnʌʍxʎz∀ꓭƆꓷƎℲ⅁HIſꓘ˥WNOԀΌꓤS⊥∩ΛMX⅄Z0ƖᄅƐㄣϛ9ㄥ86˙'¡¿,„)(][}{><⅋‾؛"
_FLIP = str.maketrans(_UPRIGHT, _UPSIDE_DOWN)
TABLE = "┻━┻"


def upside_down(text: str) -> str:
    """`text` turned upside down: each letter flipped, the order reversed."""
    return text.translate(_FLIP)[::-1]


@commands.command(help="Flip a table, or flip some text", usage="/flip [text]")
def flip(command: Command) -> str:
    thing = upside_down(command.raw_args) if command.raw_args else TABLE
    return f"(╯°□°)╯︵ {thing}"
