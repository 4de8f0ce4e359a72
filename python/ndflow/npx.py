"""Devices, barriers and the MXNet extensions (`mxnet.npx`)."""

from . import _ndflow

Device = _ndflow.Device
cpu = _ndflow.cpu
gpu = _ndflow.gpu
num_gpus = _ndflow.num_gpus
cuda_compiled = _ndflow.cuda_compiled  # built with CUDA, GPU or not
cuda_version = _ndflow.cuda_version  # '13.0', or None without CUDA
device = _ndflow.device  # a Device from a Device or a string such as "gpu(0)" or "cuda:0"
waitall = _ndflow.waitall
relu = _ndflow.relu
sigmoid = _ndflow.sigmoid
# PyTorch's names: 'highest' (the default) keeps float32 products on GPUs in full float32,
# 'high' lets cuBLAS use TF32 tensor cores for the products called after it.
set_float32_matmul_precision = _ndflow.set_float32_matmul_precision
get_float32_matmul_precision = _ndflow.get_float32_matmul_precision


def set_np(shape=True, array=True, dtype=False):
    """Accepted for MXNet compatibility; ndflow always uses NumPy semantics."""


def reset_np():
    """Accepted for MXNet compatibility; ndflow always uses NumPy semantics."""


def current_device():
    """The device of new arrays that name none: the innermost `with npx.gpu(i):` block's on
    this thread, cpu(0) outside any (MXNet's current_context)."""
    return _ndflow.current_device()


current_context = current_device


def cpu_workers():
    """The engine's CPU worker threads."""
    return _ndflow.cpu_workers()
