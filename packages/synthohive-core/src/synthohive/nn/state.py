"""Module weights <-> numpy arrays for the artifact API (always written from CPU)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from synthohive.errors import IncompatibleArtifactError


def modules_to_numpy(modules: Mapping[str, torch.nn.Module]) -> dict[str, np.ndarray]:
    """Flatten the state dicts of ``modules`` into ``{"<module>.<tensor>": array}`` on CPU."""
    out: dict[str, np.ndarray] = {}
    for prefix, module in modules.items():
        for key, tensor in module.state_dict().items():
            out[f"{prefix}.{key}"] = tensor.detach().cpu().contiguous().numpy().copy()
    return out


def load_numpy_into(
    modules: Mapping[str, torch.nn.Module],
    arrays: Mapping[str, np.ndarray],
    *,
    model: str,
) -> None:
    """Load arrays written by :func:`modules_to_numpy`, checking names, shapes and dtypes.

    Raises :class:`IncompatibleArtifactError` naming the first tensor that is missing, extra
    or of the wrong shape for the architecture rebuilt from the saved parameters.
    """
    expected: set[str] = set()
    for prefix, module in modules.items():
        state = module.state_dict()
        new_state: dict[str, torch.Tensor] = {}
        for key, current in state.items():
            name = f"{prefix}.{key}"
            expected.add(name)
            if name not in arrays:
                raise IncompatibleArtifactError(
                    f"model {model!r}: weights lack tensor {name!r}",
                    fix="the file was written by another architecture; re-fit and re-save",
                )
            arr = np.asarray(arrays[name])
            if current.dim() == 0 and arr.shape == (1,):  # safetensors stores scalars as (1,)
                arr = arr.reshape(())
            if tuple(arr.shape) != tuple(current.shape):
                raise IncompatibleArtifactError(
                    f"model {model!r}: tensor {name!r} has shape {tuple(arr.shape)}, "
                    f"the architecture needs {tuple(current.shape)}",
                    fix="the parameters and weights in the file disagree; re-fit and re-save",
                )
            if arr.dtype.kind not in "biuf":
                raise IncompatibleArtifactError(
                    f"model {model!r}: tensor {name!r} has dtype {arr.dtype}"
                )
            if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                raise IncompatibleArtifactError(
                    f"model {model!r}: tensor {name!r} holds non-finite values"
                )
            tensor = torch.from_numpy(np.ascontiguousarray(arr)).to(current.dtype)
            new_state[key] = tensor
        module.load_state_dict(new_state, strict=True)
    extra = sorted(set(arrays) - expected)
    if extra:
        raise IncompatibleArtifactError(
            f"model {model!r}: weights hold unexpected tensors {extra[:5]}",
            fix="the file was written by another architecture; re-fit and re-save",
        )


def snapshot(modules: Mapping[str, torch.nn.Module]) -> dict[str, dict[str, torch.Tensor]]:
    """An in-memory copy of the modules' state (for best-epoch checkpoints)."""
    return {
        name: {k: v.detach().clone() for k, v in module.state_dict().items()}
        for name, module in modules.items()
    }


def restore(
    modules: Mapping[str, torch.nn.Module], snap: Mapping[str, Mapping[str, torch.Tensor]]
) -> None:
    """Load a :func:`snapshot` back into ``modules``."""
    for name, module in modules.items():
        module.load_state_dict(dict(snap[name]), strict=True)
