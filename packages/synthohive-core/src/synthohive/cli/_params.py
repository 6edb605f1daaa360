"""Model choice and hyper-parameters on the command line: ``--model``'s default, ``--param
KEY=VALUE`` and ``--epochs`` (shared by ``fit`` and ``demo``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from synthohive.errors import DataError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_MODEL = "gaussian_copula"


def epochs_params(model: str, epochs: int) -> dict[str, Any]:
    """``{"epochs": epochs}``, or a clear error when ``model`` has no epochs parameter."""
    from synthohive.registry import get_registry
    from synthohive.synthesizer.auto import AUTO

    if model == AUTO:
        raise DataError(
            "--epochs does not apply to --model auto: each candidate trains with its defaults",
            fix="drop --epochs, or name the model (e.g. --model tvae --epochs 50)",
        )
    params = getattr(get_registry().get_model(model), "Params", None)
    if "epochs" not in getattr(params, "model_fields", {}):
        raise DataError(
            f"--epochs does not apply to model {model!r}: it has no 'epochs' parameter",
            fix="drop --epochs, or choose a neural model such as --model ctgan",
        )
    return {"epochs": epochs}


def parse_param(item: str) -> tuple[str, Any]:
    """``KEY=VALUE`` as ``(key, value)``: the value read as JSON when it parses (``50``,
    ``0.5``, ``true``, ``null``, ``[256, 256]``), else kept as text."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise click.BadParameter(f"{item!r} is not KEY=VALUE (e.g. --param epochs=50)")
    try:
        value: Any = json.loads(text)
    except ValueError:
        value = text
    return key, value


def _params_callback(
    _ctx: click.Context, _param: click.Parameter, items: tuple[str, ...]
) -> dict[str, Any]:
    return dict(parse_param(item) for item in items)


def param_option(func: F) -> F:
    """Add ``--param KEY=VALUE`` (repeatable) to a click command."""
    return click.option(
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        callback=_params_callback,
        help="A model parameter (repeatable), e.g. --param epochs=50 --param "
        "generator_dim=[128,128]; VALUE is read as JSON when it parses, else as text. An "
        "unknown KEY is refused with the model's valid parameters.",
    )(func)


def model_params(model: str, params: dict[str, Any], epochs: int | None) -> dict[str, Any]:
    """``--param`` values merged with ``--epochs``; checks ``model`` and the parameters
    before any work (a did-you-mean for a misspelled model or parameter name)."""
    from synthohive.registry import get_registry
    from synthohive.synthesizer import Synthesizer
    from synthohive.synthesizer.auto import AUTO

    if model != AUTO:
        get_registry().get_model(model)
    merged = dict(params)
    if epochs is not None:
        if "epochs" in merged and merged["epochs"] != epochs:
            raise click.UsageError(
                f"--epochs {epochs} contradicts --param epochs={merged['epochs']}; give one"
            )
        merged.update(epochs_params(model, epochs))
    Synthesizer(None, model=model, model_params=merged or None)  # validates name and params
    return merged


def epochs_of(model: str, params: dict[str, Any]) -> int | None:
    """Epochs each table trains for (``params`` or the model's default), if it has epochs."""
    from synthohive.registry import get_registry
    from synthohive.synthesizer.auto import AUTO

    if isinstance(params.get("epochs"), int):
        return int(params["epochs"])
    if model == AUTO:
        return None
    fields = getattr(getattr(get_registry().get_model(model), "Params", None), "model_fields", {})
    default = fields["epochs"].default if "epochs" in fields else None
    return default if isinstance(default, int) else None


__all__ = [
    "DEFAULT_MODEL",
    "epochs_of",
    "epochs_params",
    "model_params",
    "param_option",
    "parse_param",
]
