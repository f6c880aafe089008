"""Alias kept for users of ``crossentropy.model_io``: the model files live in :mod:`crossentropy.io.model_files`."""

from .io.model_files import FORMAT, FORMAT_VERSION, SavedModel, load_model, load_model_bundle, save_model

__all__ = ["save_model", "load_model", "load_model_bundle", "SavedModel", "FORMAT", "FORMAT_VERSION"]
