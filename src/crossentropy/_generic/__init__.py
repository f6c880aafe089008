"""The special functions and the functional losses written with the array API standard (any namespace ``xp``).

Private. :mod:`crossentropy._array_api` calls these where the arguments cannot be read as NumPy arrays
without a copy (GPU arrays, PyTorch tensors that require grad). Each function has the signature of its
public NumPy counterpart with the namespace first, checks its arguments with the same rules and messages
(the scalars through :mod:`crossentropy._validation`), and computes the same stable formulas: the
documentation of the public functions is the documentation of these.

- :mod:`._common`: floating arrays, the checks on array values, the reductions;
- :mod:`.special`: sigmoid, log_sigmoid, softplus, logsumexp, log_softmax, softmax;
- :mod:`.losses`: binary and softmax cross-entropy, nll_loss, the focal losses;
- :mod:`.linear`: linear cross-entropy, by row blocks.
"""
