"""Import spaCy without its command-line package, which the privacy filter never uses.

`import spacy` runs `from .cli.info import info`, and `spacy/cli/__init__.py` imports every CLI
command and with them typer, weasel, requests, rich, jinja2 and click: about 17 MB of the daemon's
RSS (measured: spaCy's import costs 55 MB with them, 38 MB without). For the duration of the import,
stand-in `spacy.cli` and `spacy.cli.info` modules supply an `info` that imports the real CLI when it
is called. The stand-ins are then taken out of `sys.modules`, so a later `import spacy.cli` (as in
`spacy download`) loads the real package. If a spaCy release needs more from its CLI package at
import time, the attempt is undone and spaCy is imported as usual: slower on memory, never broken.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)

_CLI_MODULES = ("spacy.cli", "spacy.cli.info")
_lock = threading.Lock()


def _real_info(*args: Any, **kwargs: Any) -> Any:
    """spaCy's own `spacy.info`, imported with the CLI package on first call."""
    from spacy.cli.info import info

    return info(*args, **kwargs)


def _stand_ins() -> dict[str, ModuleType]:
    cli = ModuleType("spacy.cli", "Stand-in for spaCy's CLI package during `import spacy`.")
    cli.__path__ = []  # a package, so that `spacy.cli.info` resolves as its submodule
    info = ModuleType("spacy.cli.info", "Stand-in for spaCy's `spacy.cli.info` during `import spacy`.")
    info.info = _real_info  # type: ignore[attr-defined]
    return {"spacy.cli": cli, "spacy.cli.info": info}


def _forget(names: set[str]) -> None:
    for name in names:
        sys.modules.pop(name, None)


def import_spacy() -> ModuleType:
    """The `spacy` module, imported without its CLI package if this process has not imported spaCy yet.

    Raises ImportError if spaCy is not installed.
    """
    loaded = sys.modules.get("spacy")
    if loaded is not None:
        return loaded
    with _lock:
        loaded = sys.modules.get("spacy")
        if loaded is not None:
            return loaded
        if any(name in sys.modules for name in _CLI_MODULES):  # pragma: no cover - a half-imported spaCy
            import spacy

            return spacy
        before = set(sys.modules)
        stand_ins = _stand_ins()
        sys.modules.update(stand_ins)
        try:
            import spacy
        except ImportError as exc:
            failure: ImportError | None = exc
        else:
            failure = None
        finally:
            for name, module in stand_ins.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
        if failure is None:
            if getattr(spacy, "cli", None) is stand_ins["spacy.cli"]:
                delattr(spacy, "cli")  # the next `spacy.cli` access imports the real package
            return spacy
        # Undo the half-done import (spaCy's own modules only), then import it the ordinary way.
        _forget({name for name in set(sys.modules) - before if name == "spacy" or name.startswith("spacy.")})
        if failure.name in (None, "spacy"):
            raise failure
        log.debug("spaCy needs its CLI package at import time (%s); importing it whole", failure)
        import spacy

        return spacy
