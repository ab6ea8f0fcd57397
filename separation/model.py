"""Loading a demucs model the way demucs does, with errors a musician can act on.

Named models come from the model hub on first use (then from its local cache); a folder of
weights (``--model-repo DIR`` or WOODSHED_MODEL_REPO) works offline. A local folder's ``.th``
files are unpickled by torch with ``weights_only=False``: such a folder is trusted code.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from .errors import UserError

DEFAULT_MODEL = "htdemucs_6s"
KNOWN_MODELS = ("htdemucs_6s", "htdemucs", "htdemucs_ft")


def model_repo_from_env(repo: Path | str | None) -> Path | None:
    if repo is None:
        repo = os.environ.get("WOODSHED_MODEL_REPO") or None
    return Path(repo).expanduser() if repo is not None else None


def _remote_names() -> set[str]:
    """Names demucs itself knows how to download (bags in its remote folder)."""
    from demucs.pretrained import REMOTE_ROOT

    return {p.stem for p in REMOTE_ROOT.glob("*.yaml")}


def _local_names(repo: Path) -> list[str]:
    return sorted({p.stem.rsplit("-", 1)[0] if p.suffix == ".th" else p.stem
                   for p in repo.iterdir() if p.suffix in (".th", ".yaml")})


def load_model(name: str, repo: Path | None = None, download_progress=None,
               cancelled=lambda: False):
    """The model (or bag of models) ``name``, through demucs.pretrained.get_model.

    A named model of demucs' catalogue is downloaded on first use into our models folder
    (model_download: progress, resume, checksum) and loaded from there as a local repository.
    """
    from demucs.pretrained import ModelLoadingError, get_model

    from . import model_download

    if repo is None and model_download.downloadable(name):
        repo = model_download.ensure_model(name, download_progress, cancelled)
    elif repo is not None:
        if not repo.is_dir():
            raise UserError(f"model folder {repo} does not exist or is not a folder")
        if name not in _local_names(repo):
            known = ", ".join(_local_names(repo)) or "no models"
            raise UserError(f"unknown model {name!r}: {repo} holds {known}")
    # demucs prints and calls sys.exit on some errors; keep its chatter out of our one line.
    chatter = io.StringIO()
    try:
        with contextlib.redirect_stderr(chatter):
            return get_model(name, repo=repo)
    except SystemExit:
        detail = chatter.getvalue().strip().splitlines()
        raise UserError(f"cannot load model {name!r}: {detail[-1] if detail else 'demucs refused it'}") from None
    except ModelLoadingError as exc:
        if repo is None and name not in _remote_names():
            raise UserError(f"unknown model {name!r} (try {', '.join(KNOWN_MODELS)}, "
                            "or --model-repo DIR for a folder of weights)") from None
        raise UserError(f"cannot load model {name!r}: {exc}") from None
    except OSError as exc:  # URLError, connection and DNS errors, hub errors
        if repo is None:
            raise UserError(
                f"cannot download the weights of model {name!r} (offline?): connect once to let "
                "them download and be cached, or put the model files in a folder and use "
                "--model-repo DIR (or WOODSHED_MODEL_REPO)") from None
        raise UserError(f"cannot read model {name!r} from {repo}: {exc}") from None
    except Exception as exc:  # a damaged weights file: unpickling or shape errors
        raise UserError(f"cannot load model {name!r}: {type(exc).__name__}: {exc}") from None


def segment_s(model) -> float:
    """Segment length the model (every model of a bag) was trained on, in seconds."""
    models = getattr(model, "models", [model])
    lengths = {float(m.segment) for m in models}
    if len(lengths) != 1:
        raise UserError("bags of models with different segment lengths are not supported")
    return lengths.pop()


def pick_device(device: str = "auto") -> str:
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA GPU is available here (try --device cpu)")
    if device == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise UserError("--device mps: Apple's Metal GPU is not available here (try --device cpu)")
    return device
