"""Every check of a spec, layer by layer; the one entry point, validate().

    schema.py     structure against the key table (keys.py): types, unknown,
                  missing and duplicate keys, defaults
    resolve.py    what the spec names outside itself: device trees, driver
                  register maps (read through the position-keeping parser)
    semantics.py  what ties the items together: names, references, limits,
                  devices, and the register-map rules of regmap.py

Each layer collects every error it finds, pinned to the node at fault, and
no layer changes what an earlier one returned: resolve returns new values,
and the checks after it only read. The limits a board's layout sets (its
RAM and page tables) are checked where the layout is computed, in model.py.
"""

from . import keys as K
from .boards import BOARDS
from .errors import Diags
from .resolve import resolve
from .schema import Schema, describe, suggest
from .semantics import (MAX_CHANNELS, MAX_DEPTH, MAX_DEVICES, MAX_ENDPOINTS, MAX_MEMORY,
                        MAX_MESSAGE, MAX_SHARDS, MAX_STACK, Semantics)

__all__ = ["validate", "suggest", "MAX_SHARDS", "MAX_CHANNELS", "MAX_ENDPOINTS", "MAX_DEVICES",
           "MAX_DEPTH", "MAX_MESSAGE", "MAX_STACK", "MAX_MEMORY"]


def validate(root, board_override, spec_dir, repo_root):
    """Checks a parsed spec. Returns (checked and resolved top-level values,
    warnings); raises SpecError with every error found. The effective board
    is the result's 'board'."""
    diags = Diags()
    schema = Schema(diags, spec_dir, repo_root)
    if root.kind != "map":
        diags.error(root, f"a spec must be a mapping that starts with 'vanity: 1', "
                    f"got {describe(root)}")
        diags.check()
    top = schema.obj(K.SPEC, root, None)
    board = BOARDS.get(board_override or top.get("board"), BOARDS[K.DEFAULT_BOARD])
    resolved = resolve(schema, top, board)
    Semantics(schema, resolved, board).run()
    diags.check()
    return resolved, diags.warnings
