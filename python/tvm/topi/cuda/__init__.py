"""``tvm.topi.cuda`` of TVM 0.8: CUDA schedules are not part of this fork.

The fork compiles for the CPU only; the base's TOPI computes run on any target
but their CUDA schedules are gone. What is here are the target-independent
helpers that 0.8-era code imports from this package.
"""
