"""The scenario schema as Markdown, generated from the schema itself (README, ``hipsim list schema``)."""
from __future__ import annotations

from hipsim.params import Param
from hipsim.scenarios.schema import COMPOSITION_RULE, MODIFIER_KEYS, NAME_RULE, SUBJECT_KEYS, TASK_KEYS


def _rows(keys: dict[str, Param]) -> list[str]:
    out = ["| key | allowed | default | meaning |", "|---|---|---|---|"]
    for k, key in keys.items():
        # TOML spelling for booleans (true/false), Python's repr otherwise
        default = ("required" if key.required else "not set" if key.default is None
                   else str(key.default).lower() if isinstance(key.default, bool) else repr(key.default))
        out.append(f"| `{k}` | {key.allowed()} | {default} | {key.doc} |")
    return out


def schema_markdown() -> str:
    """Every scenario key with its unit, allowed range and default."""
    lines = ["Top level: `name` (required), `title`, `description`, `model` (default `\"default\"`), "
             "`[subject]`, `[task]` (required), `[[modifiers]]`, `[baseline]` (required; may be empty).", "",
             f"`name`: {NAME_RULE}. `model`: a shipped model name, or a model file (a relative path is relative "
             "to the scenario file's folder).", "",
             "Defaults describe one typical case and are illustrative assumptions unless the meaning cites a "
             "source; ranges are input limits.", "",
             "`[subject]`", ""] + _rows(SUBJECT_KEYS)
    for task, keys in TASK_KEYS.items():
        lines += ["", f"`[task]` with `type = \"{task}\"`", ""] + _rows(keys)
    for t, (doc, keys, tasks) in MODIFIER_KEYS.items():
        lines += ["", f"`[[modifiers]]` with `type = \"{t}\"`: {doc} (tasks: {', '.join(tasks)})", ""] + _rows(keys)
    lines += ["", f"Modifiers together: {COMPOSITION_RULE}"]
    lines += ["", "`[baseline]`: `modifiers` (a list like `[[modifiers]]`, default none) and `task` (a table "
              "overriding task keys for the baseline)."]
    return "\n".join(lines)
