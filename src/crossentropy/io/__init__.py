"""Files: model files (safetensors + JSON, never pickle), data tables and atomic writes.

Submodules are imported on first use: :mod:`.model_files` (save/load), :mod:`.model_schema` (what a
model file may hold), :mod:`.atomic` (atomic writes), :mod:`.pipeline` (a saved run as a scikit-learn
``Pipeline``).
"""

from .._lazy import lazy_getattr

_LAZY = {
    "save_model": "model_files",
    "load_model": "model_files",
    "load_model_bundle": "model_files",
    "SavedModel": "model_files",
    "load_pipeline": "pipeline",
}

__all__ = ["save_model", "load_model", "load_model_bundle", "SavedModel", "load_pipeline"]


__getattr__ = lazy_getattr(__name__, _LAZY, globals())
