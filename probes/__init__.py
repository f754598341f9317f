"""Offline toolkit: data sets, activation collection, probe fitting and evaluation.

Trained artifacts for the default model live in ``probes/artifacts/<model>/``.
"""
